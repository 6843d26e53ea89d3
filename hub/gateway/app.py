"""The gateway application: the inbound route, the health probe and the plugins' routers (see the package
docstring for what each answer promises).

The OpenAPI document (``/openapi.json``, browsable at ``/docs`` with Swagger UI served from the installed
``swagger-ui-bundle`` package, so it works offline) lists one ``POST /v1/inbound/NAME`` per connector taking inbound
messages, with its request body (the format's JSON Schema when the connector gives one, its media types always),
every answer the route sends with its schema, and the API-key security schemes. Errors are RFC 9457 problems
(:mod:`hub.gateway.problems`)."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse
from fastapi.staticfiles import StaticFiles
from pydantic.json_schema import models_json_schema
from swagger_ui_bundle import swagger_ui_path

from hub.console import create_console
from hub.core.audit import AuditEntry, AuditKind, BufferedAudit
from hub.core.connector import Connector, RawMessage
from hub.core.credentials import parse_key_id
from hub.core.errors import ScopeRefused
from hub.core.partners import Authenticated, Partner, partner_origin
from hub.core.plugins import PluginFailure
from hub.gateway.auth import API_KEY_HEADER, presented_key, resolve_partner
from hub.gateway.commit import DecodedMessage, InboundCommitter, InboundOutcome
from hub.gateway.limits import PartnerRates, PartnerSlots, read_limited
from hub.gateway.pull import pull_router
from hub.gateway.problems import (PROBLEM_JSON, FieldProblem, InboundAccepted, Problem, RejectedPart,
                                  install_problem_handlers, problem)

__all__ = ["create_app", "Gateway"]

log = structlog.get_logger(__name__)

#: Bodies over this many bytes are journaled a chunk at a time rather than through the shared group commit.
LARGE_MESSAGE = 1024 * 1024

_MESSAGE_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


class Gateway:
    """What the routes share: the hub and the committer. Decoding runs in the ingestor's per-connector pools."""

    def __init__(self, hub: Any, decode_timeout: float):
        self.hub = hub
        self.decode_timeout = decode_timeout
        self.committer = InboundCommitter(hub.ingestor, hub.settings.batch_size)
        self.journal_timeout = hub.settings.journal_timeout
        self.read_timeout = hub.settings.gateway_read_timeout
        self.slots = PartnerSlots(hub.settings.gateway_max_requests_per_partner)
        self.rates = PartnerRates(hub.settings.gateway_rate_per_partner, hub.settings.gateway_burst_per_partner)
        self.audit = BufferedAudit(hub.audit)

    def audit_call(self, connector: str, request: Request, auth: Authenticated | None, status: int,
                   reason: str | None, message_id: str | None = None, *, now: bool = False) -> None:
        """One audit row per inbound call: who (the partner, or "unauthenticated"), with which key, and the
        answer. Refusals of a partner's scope are written before answering; the rest in batches."""
        presented = presented_key(request) or ""
        entry = AuditEntry(kind=AuditKind.INBOUND, actor=auth.partner.id if auth else "unauthenticated",
                           key_id=auth.key_id if auth else parse_key_id(presented),
                           outcome="accepted" if status < 400 else "refused",
                           action=f"POST /v1/inbound/{connector} {status}", target=message_id,
                           reason=reason if status >= 400 else None)
        if not now:
            self.audit.record(entry)
            return
        try:
            self.audit.record_now(entry)
        except Exception as exc:  # the journal away: the refusal stands (nothing was journaled), the log says so
            log.error("audit_write_failed", partner=entry.actor, error_type=type(exc).__name__)

    async def ingest_large(self, connector: Connector, raw: RawMessage,
                           partner: Partner | None = None) -> InboundOutcome | JSONResponse:
        """A large message, journaled a chunk of events at a time in the connector's decoding pool (see
        :meth:`hub.core.ingest.Ingestor.ingest_in_chunks`), bounded by ``journal_timeout`` plus 10 s per MB."""
        bound = round(self.journal_timeout + 10 * len(raw.body) / 1e6, 1)
        pending = self.hub.ingestor.submit(connector, self.hub.ingestor.ingest_in_chunks, connector, raw, 2_000,
                                           partner)
        try:
            report = await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(pending)), bound)
        except (TimeoutError, asyncio.TimeoutError):
            return problem(503, f"the message was not journaled within {bound:g}s; send it again later (what was "
                                "kept meanwhile is recognised as a resend)", headers={"Retry-After": "30"},
                           error_type="JournalTimeout")
        except Exception as exc:  # journal down midway: what was journaled is recognised when the partner resends
            return problem(503, "the journal is unavailable; send the message again later (what was kept is "
                                "recognised as a resend)", headers={"Retry-After": "5"}, error_type=type(exc).__name__)
        if report.scope_refused:   # large messages are journaled a chunk at a time: the rest may be in
            return _scope_problem([p for r in report.scope_refused for p in r["problems"]],
                                  [r["reason"] for r in report.scope_refused], partner, raw.message_id,
                                  journaled=len(report.event_ids))
        return InboundOutcome(report.event_ids, report.duplicates,
                              report.rejected_parts + [{k: v for k, v in r.items() if k != "event_id"}
                                                       for r in report.refused],
                              report.conflicts)

    def commit_wait(self, events: int) -> float:
        """How long a request waits for its commit before answering 503: ``journal_timeout``, plus 2 ms per event
        so that a large message (which takes longer to journal, not because the journal is away) is not refused."""
        return round(self.journal_timeout + 0.002 * events, 1)

    async def decode(self, connector: Connector, raw: RawMessage, partner: Partner | None = None) -> DecodedMessage:
        ingestor = self.hub.ingestor
        pending = asyncio.wrap_future(ingestor.submit_decode(connector, raw, partner))
        try:
            events, rejections = await asyncio.wait_for(pending, self.decode_timeout)
        except (TimeoutError, FutureTimeout):
            events, rejections = ingestor.decode_timed_out(connector, raw, self.decode_timeout)
        return DecodedMessage(raw, events, rejections)

    def close(self) -> None:
        """Finish the batch in hand and stop (idempotent: uvicorn's shutdown and the server's stop both call it)."""
        self.committer.close()
        self.audit.close()


def _accepts_inbound(connector: Connector) -> bool:
    return type(connector).decode is not Connector.decode


def _media_type_accepted(connector: Connector, content_type: str | None) -> bool:
    """No Content-Type is taken as the connector's own format (file-transfer tools rarely set one)."""
    if not content_type:
        return True
    return content_type.split(";", 1)[0].strip().lower() in connector.accepted_content_types()


def _field_problems(rejected: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Every problem of every rejected part, flattened: what a client shows its user."""
    return [{**p, "dead_letter_id": part.get("dead_letter_id")} for part in rejected for p in part["problems"]]


def _scope_problem(problems: list[dict[str, Any]], reasons: list[str], partner: Partner | None, message_id: str,
                   journaled: int = 0) -> JSONResponse:
    """403: parts of the message speak for another legal entity, about a dwelling outside the partner's stock, or
    carry a type outside its scope. Each problem names its field; nothing of the message was kept."""
    who = partner.id if partner is not None else "?"
    kept = "nothing of the message was journaled" if not journaled else \
        f"{journaled} event(s) of the message's earlier chunks were journaled, the refused parts were not"
    response = problem(403, f"{len(reasons)} part(s) of the message are outside what partner {who!r} may send "
                            f"({reasons[0]}); {kept}", errors=problems, message_id=message_id, journaled=journaled)
    response.audit = {"message_id": message_id, "reason": "; ".join(reasons)[:4000]}   # type: ignore[attr-defined]
    return response


def _partner_message_id(request: Request) -> str | None:
    """The partner's ``Idempotency-Key`` when it is a sane identifier (it ends up in dead-letter origins)."""
    key = request.headers.get("Idempotency-Key", "")
    return key if _MESSAGE_ID.match(key) else None


def _inbound_router(gateway: Gateway) -> APIRouter:
    router = APIRouter()

    async def inbound(connector: str, request: Request) -> JSONResponse:
        conn = gateway.hub.connectors.get(connector)
        if conn is None or not _accepts_inbound(conn):
            raise HTTPException(404, detail=f"no connector {connector!r} taking inbound messages")
        auth: Authenticated | None = None
        try:
            auth = await resolve_partner(gateway.hub, conn, request)
            if not _media_type_accepted(conn, request.headers.get("Content-Type")):
                raise HTTPException(415, detail=f"connector {connector!r} takes "
                                                f"{' or '.join(conn.accepted_content_types())}; send the body with "
                                                "one of them as Content-Type")
            gateway.rates.check(auth.partner.id)
            with gateway.slots.slot(auth.partner.id):
                response = await _accept(gateway, conn, request, auth)
        except HTTPException as exc:
            gateway.audit_call(connector, request, auth, exc.status_code, str(exc.detail))
            raise
        body = getattr(response, "audit", {})
        if response.status_code >= 400 and not body.get("reason"):   # a 503 says why in its detail
            body = {**body, "reason": json.loads(response.body).get("detail")}
        if response.status_code == 403:   # a scope refusal: on record before the partner hears of it
            await asyncio.to_thread(gateway.audit_call, connector, request, auth, 403, body.get("reason"),
                                    body.get("message_id"), now=True)
        else:
            gateway.audit_call(connector, request, auth, response.status_code, body.get("reason"),
                               body.get("message_id"))
        return response

    async def _accept(gateway: Gateway, conn: Connector, request: Request, auth: Authenticated) -> JSONResponse:
        connector = conn.name
        declared = request.headers.get("Content-Length")
        limit = conn.settings.max_message_bytes
        if declared and declared.isdigit() and int(declared) > limit:   # refused before reading a byte
            log.warning("inbound_too_large", connector=connector, limit=limit)
            raise HTTPException(413, detail=f"over connectors.{connector}.max_message_bytes ({limit} bytes)")
        try:
            body = await read_limited(request.stream(), limit=limit, timeout=gateway.read_timeout,
                                      connector=connector,
                                      expected=int(declared) if declared and declared.isdigit() else None)
        except HTTPException as exc:
            if exc.status_code == 413:
                log.warning("inbound_too_large", connector=connector, limit=limit)
            raise
        message_id = _partner_message_id(request) or "sha256:" + hashlib.sha256(body).hexdigest()
        raw = RawMessage(body=body, origin=partner_origin(auth.partner, f"http:{message_id}"), message_id=message_id,
                         metadata={"content_type": request.headers.get("Content-Type", "")})
        del body
        partner = auth.partner
        if len(raw.body) > LARGE_MESSAGE:   # journaled a chunk at a time: memory stays a small multiple of it
            return await _answer(connector, message_id, await gateway.ingest_large(conn, raw, partner))
        decoded = await gateway.decode(conn, raw, partner)
        refused = [r for r in decoded.rejections if isinstance(r.error, ScopeRefused)]
        if refused:   # the message is refused whole: nothing journaled, nothing kept (a forgery is not replayable)
            return _scope_problem([p for r in refused for p in r.error.problems], [r.error.reason for r in refused],
                                  partner, message_id)
        try:
            # shielded: giving up waiting must not cancel the commit (the committer resolves it in any case)
            bound = gateway.commit_wait(len(decoded.events))
            outcome: InboundOutcome = await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(gateway.committer.submit(decoded))), bound)
        except (TimeoutError, asyncio.TimeoutError):   # a journal that does not answer: never hang the partner
            return problem(503, f"the journal did not answer within {bound:g}s; send the message again later (what "
                                "may have been kept meanwhile is recognised as a resend)",
                           headers={"Retry-After": "5"}, error_type="JournalTimeout")
        except Exception as exc:  # journal down: nothing acknowledged, the partner keeps the message and resends
            return problem(503, "the journal is unavailable; nothing was kept, send the message again later",
                           headers={"Retry-After": "5"}, error_type=type(exc).__name__)
        return await _answer(connector, message_id, outcome)

    async def _answer(connector: str, message_id: str, outcome: InboundOutcome | JSONResponse) -> JSONResponse:
        """The answer, with what its audit row records (the message id; why, when refused)."""
        response = await _answer_outcome(connector, message_id, outcome)
        audit = getattr(response, "audit", {})
        if response.status_code >= 400 and "reason" not in audit:
            audit["reason"] = json.loads(response.body).get("detail")
        response.audit = {"message_id": message_id, **audit}   # type: ignore[attr-defined]
        return response

    async def _answer_outcome(connector: str, message_id: str, outcome: InboundOutcome | JSONResponse
                              ) -> JSONResponse:
        if isinstance(outcome, JSONResponse):
            return outcome
        answer = {"message_id": message_id, "journaled": len(outcome.journaled), "duplicates": outcome.duplicates,
                  "event_ids": outcome.journaled}
        if outcome.conflicts:
            log.warning("inbound_conflict", connector=connector, conflicts=len(outcome.conflicts))
            fields = sorted({f for c in outcome.conflicts for f in c["fields"]})
            return problem(409, "these ids were already journaled with different content (" + ", ".join(fields)
                           + "); a journaled fact is never overwritten: send the correction under a new id",
                           **answer, errors=[{"field": f, "reason": "differs from the journaled version",
                                              "sourcemessageid": c["sourcemessageid"]}
                                             for c in outcome.conflicts for f in c["fields"]],
                           conflicts=outcome.conflicts, rejected=outcome.rejected or None)
        if outcome.rejected:
            log.info("inbound_rejected_over_http", connector=connector, rejected=len(outcome.rejected),
                     journaled=len(outcome.journaled))
            return problem(400, f"{len(outcome.rejected)} part(s) of the message rejected and kept in the dead "
                                f"letters; fix the fields listed in errors and send them again", **answer,
                           errors=_field_problems(outcome.rejected), rejected=outcome.rejected)
        log.info("inbound_accepted", connector=connector, journaled=len(outcome.journaled),
                 duplicates=outcome.duplicates)
        return JSONResponse(answer, status_code=202)

    for name, conn in sorted(gateway.hub.connectors.items()):
        if _accepts_inbound(conn):   # one documented route per connector; the generic one below answers 404s
            router.add_api_route(f"/v1/inbound/{name}", _bound(inbound, name), methods=["POST"], status_code=202,
                                 name=f"inbound_{name}", summary=f"Send one message to connector {name}",
                                 tags=["inbound"])
    router.add_api_route("/v1/inbound/{connector}", inbound, methods=["POST"], status_code=202,
                         include_in_schema=False)

    @router.get("/healthz", tags=["operations"], responses={503: {"description": "the journal does not answer"}})
    async def healthz() -> JSONResponse:
        try:
            outbox = await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(None, gateway.hub.journal.outbox_size),
                gateway.journal_timeout)
        except (TimeoutError, asyncio.TimeoutError):
            return problem(503, f"the journal does not answer within {gateway.journal_timeout:g}s",
                           journal="timeout")
        except Exception as exc:  # the probe's whole point is to say so instead of failing
            return problem(503, "the journal does not answer", journal=type(exc).__name__)
        return JSONResponse({"status": "ok", "outbox": outbox})

    return router


def _bound(inbound: Any, name: str) -> Any:
    async def inbound_to_connector(request: Request) -> JSONResponse:
        return await inbound(name, request)
    return inbound_to_connector


def _mount_plugin_routes(app: FastAPI, hub: Any) -> None:
    for plugin, routers in sorted(hub.host.routers().items()):
        wrong = [type(r).__name__ for r in routers if not isinstance(r, APIRouter)]
        if wrong:
            error = f"relais_register_routes expects fastapi.APIRouter, got {', '.join(wrong)}"
            hub.failures.append(PluginFailure(plugin, "relais_register_routes", error))
            log.error("plugin_failed", plugin=plugin, stage="relais_register_routes", error=error)
            continue
        for router in routers:
            app.include_router(router, prefix=f"/v1/plugins/{plugin}")
        log.info("plugin_routes_mounted", plugin=plugin, routers=len(routers))


def create_app(hub: Any, *, decode_timeout: float | None = None) -> FastAPI:
    """The gateway application for a constructed :class:`hub.core.runtime.Hub` (which the caller keeps and closes).

    ``decode_timeout`` bounds one message's decoding (default: the hub's ``delivery_timeout``)."""
    gateway = Gateway(hub, decode_timeout if decode_timeout is not None else hub.settings.delivery_timeout)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        gateway.close()

    app = FastAPI(title="Relais partner gateway", version="1", docs_url=None, redoc_url=None, lifespan=lifespan)
    app.state.hub = hub
    app.state.gateway = gateway
    install_problem_handlers(app)
    app.include_router(_inbound_router(gateway))
    app.include_router(pull_router())
    _mount_plugin_routes(app, hub)
    _serve_docs_offline(app)
    app.mount("/console", create_console(hub), name="console")   # the people's pages (hub.console)
    app.openapi = lambda: _openapi(app, hub)   # type: ignore[method-assign]
    return app


def _serve_docs_offline(app: FastAPI) -> None:
    """Swagger UI from the installed ``swagger-ui-bundle`` package: a gateway on a closed network has no CDN."""
    app.mount("/docs/assets", StaticFiles(directory=swagger_ui_path), name="swagger-ui-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="Relais partner gateway",
                                   swagger_js_url="/docs/assets/swagger-ui-bundle.js",
                                   swagger_css_url="/docs/assets/swagger-ui.css",
                                   swagger_favicon_url="/docs/assets/favicon-32x32.png")


#: What each error answer of the inbound route means (the package docstring says what it promises).
INBOUND_ERRORS = {
    400: "rejected, wholly or partly: every problem with its field path in `errors`; the rejected parts are kept in "
         "the dead letters, the other events were journaled",
    401: "no credential, or not a valid one (unknown, expired or revoked key; unregistered certificate)",
    403: "a valid key of a partner of another connector (each partner posts to its own connector's route); or the "
         "message speaks for another legal entity than the authenticated partner, about a dwelling outside its "
         "stock, or carries a type outside its scope: `errors` names each field, nothing was journaled",
    404: "no such connector, or it takes no inbound messages",
    409: "an id of the message (a decision id…) was already journaled with different content: `conflicts` names "
         "the differing fields (never their values) and the journaled event; the message is kept in the dead "
         "letters; a correction is sent under a new id",
    408: "the body stopped arriving for gateway_read_timeout seconds; nothing is kept, send it again",
    413: "over connectors.NAME.max_message_bytes; nothing is kept",
    415: "a Content-Type this connector does not take",
    429: "this partner already has gateway_max_requests_per_partner requests in progress, or is over "
         "gateway_rate_per_partner: retry after Retry-After seconds",
    503: "the journal is unreachable or did not answer within journal_timeout, or the gateway serves its maximum of "
         "connections: send again later (Retry-After; a resend of what was kept is recognised)",
}
SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": API_KEY_HEADER,
               "description": "A partner key issued by `relais partners add` (rk_<key id>_<secret>), or one of "
                              "connectors.NAME.api_keys (legacy)."},
    "Bearer": {"type": "http", "scheme": "bearer", "description": "The same key as a bearer token."},
}


def _openapi(app: FastAPI, hub: Any) -> dict[str, Any]:
    """FastAPI's document, completed with what it cannot infer from a route that reads raw bytes: each inbound
    route's request body, its answers with their schemas, and the security schemes."""
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes,
                         description="Partners push their messages here; each answer is a promise (see responses).")
    components = schema.setdefault("components", {})
    components["securitySchemes"] = SECURITY_SCHEMES
    schemas = components.setdefault("schemas", {})
    _, models = models_json_schema([(m, "serialization") for m in (Problem, FieldProblem, RejectedPart,
                                                                   InboundAccepted)],
                                   ref_template="#/components/schemas/{model}")
    schemas.update(models.get("$defs", {}))
    problem_ref = {"$ref": "#/components/schemas/Problem"}
    for name, conn in sorted(hub.connectors.items()):
        operation = schema.get("paths", {}).get(f"/v1/inbound/{name}", {}).get("post")
        if operation is None:
            continue
        body_schema = _hoist(conn.inbound_schema(), f"{name}.", schemas) or {"type": "string", "format": "binary"}
        binary = {"type": "string", "format": "binary"}
        # the JSON Schema describes the JSON bodies only: a connector that also takes CSV or XML gets bytes for those
        operation["requestBody"] = {"required": True, "content": {
            t: {"schema": body_schema if t.endswith("json") else binary} for t in conn.accepted_content_types()}}
        operation["security"] = [{"ApiKey": []}, {"Bearer": []}]
        operation["parameters"] = [{"name": "Idempotency-Key", "in": "header", "required": False,
                                    "description": "The partner's id of the message (1 to 128 printable ASCII "
                                                   "characters); default: the SHA-256 of the body.",
                                    "schema": {"type": "string"}}]
        responses = {"202": {"description": "journaled: every event of the message is durably in the journal",
                             "content": {"application/json": {"schema": {
                                 "$ref": "#/components/schemas/InboundAccepted"}}}}}
        for status, description in INBOUND_ERRORS.items():
            headers = {"Retry-After": {"schema": {"type": "integer"}}} if status in (429, 503) else \
                {"WWW-Authenticate": {"schema": {"type": "string"}}} if status == 401 else None
            responses[str(status)] = {"description": description,
                                      "content": {PROBLEM_JSON: {"schema": problem_ref}},
                                      **({"headers": headers} if headers else {})}
        operation["responses"] = responses
    for path_item in schema.get("paths", {}).values():   # plugin routes: their errors are problems too
        for operation in path_item.values():
            if not isinstance(operation, dict):
                continue
            responses = operation.setdefault("responses", {})
            if "422" in responses:
                responses["422"]["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
            if operation.get("security") and "401" not in responses:   # behind require_api_key
                responses["401"] = {"description": INBOUND_ERRORS[401],
                                    "content": {PROBLEM_JSON: {"schema": problem_ref}},
                                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}}}}
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    health = schema.get("paths", {}).get("/healthz", {}).get("get")
    if health is not None:
        health["responses"]["503"]["content"] = {PROBLEM_JSON: {"schema": problem_ref}}
    app.openapi_schema = schema
    return schema


def _hoist(json_schema: dict[str, Any] | None, prefix: str, schemas: dict[str, Any]) -> dict[str, Any] | None:
    """Move a JSON Schema's ``$defs`` into the document's components (prefixed: two connectors may both have a
    ``Decision``), rewriting its references, since ``#/$defs/…`` would resolve against the OpenAPI document."""
    if json_schema is None:
        return None
    json_schema = dict(json_schema)
    defs = json_schema.pop("$defs", {})

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            return {k: (f"#/components/schemas/{prefix}{v[len('#/$defs/'):]}"
                        if k == "$ref" and isinstance(v, str) and v.startswith("#/$defs/") else rewrite(v))
                    for k, v in node.items()}
        if isinstance(node, list):
            return [rewrite(v) for v in node]
        return node

    for def_name, definition in defs.items():
        schemas[f"{prefix}{def_name}"] = rewrite(definition)
    return rewrite(json_schema)
