"""The gateway application: the inbound route, the health probe and the plugins' routers (see the package
docstring for what each answer promises)."""

from __future__ import annotations

import asyncio
import hashlib
import re
from collections.abc import AsyncIterator
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import asynccontextmanager
from typing import Any

import structlog
from fastapi import APIRouter, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse

from hub.core.connector import Connector, RawMessage
from hub.core.plugins import PluginFailure
from hub.gateway.auth import key_is_valid, presented_key, unauthorized
from hub.gateway.commit import DecodedMessage, InboundCommitter, InboundOutcome

__all__ = ["create_app", "Gateway"]

log = structlog.get_logger(__name__)

_MESSAGE_ID = re.compile(r"^[\x21-\x7e]{1,128}$")


class Gateway:
    """What the routes share: the hub and the committer. Decoding runs in the ingestor's per-connector pools."""

    def __init__(self, hub: Any, decode_timeout: float):
        self.hub = hub
        self.decode_timeout = decode_timeout
        self.committer = InboundCommitter(hub.ingestor, hub.settings.batch_size)

    async def decode(self, connector: Connector, raw: RawMessage) -> DecodedMessage:
        ingestor = self.hub.ingestor
        pending = asyncio.wrap_future(ingestor.submit_decode(connector, raw))
        try:
            events, rejections = await asyncio.wait_for(pending, self.decode_timeout)
        except (TimeoutError, FutureTimeout):
            events, rejections = ingestor.decode_timed_out(connector, raw, self.decode_timeout)
        return DecodedMessage(raw, events, rejections)

    def close(self) -> None:
        """Finish the batch in hand and stop (idempotent: uvicorn's shutdown and the server's stop both call it)."""
        self.committer.close()


def _accepts_inbound(connector: Connector) -> bool:
    return type(connector).decode is not Connector.decode


async def _read_body(request: Request, limit: int, connector: str) -> bytes:
    declared = request.headers.get("Content-Length")
    too_large = HTTPException(413, detail=f"over connectors.{connector}.max_message_bytes ({limit} bytes)")
    if declared and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _partner_message_id(request: Request) -> str | None:
    """The partner's ``Idempotency-Key`` when it is a sane identifier (it ends up in dead-letter origins)."""
    key = request.headers.get("Idempotency-Key", "")
    return key if _MESSAGE_ID.match(key) else None


def _inbound_router(gateway: Gateway) -> APIRouter:
    router = APIRouter()

    @router.post("/v1/inbound/{connector}", status_code=202)
    async def inbound(connector: str, request: Request) -> JSONResponse:
        conn = gateway.hub.connectors.get(connector)
        if conn is None or not _accepts_inbound(conn):
            raise HTTPException(404, detail=f"no connector {connector!r} taking inbound messages")
        if not key_is_valid(conn, presented_key(request)):
            raise unauthorized(connector)
        try:
            body = await _read_body(request, conn.settings.max_message_bytes, connector)
        except HTTPException:
            log.warning("inbound_too_large", connector=connector, limit=conn.settings.max_message_bytes)
            raise
        message_id = _partner_message_id(request) or "sha256:" + hashlib.sha256(body).hexdigest()
        raw = RawMessage(body=body, origin=f"http:{message_id}", message_id=message_id,
                         metadata={"content_type": request.headers.get("Content-Type", "")})
        decoded = await gateway.decode(conn, raw)
        try:
            outcome: InboundOutcome = await asyncio.wrap_future(gateway.committer.submit(decoded))
        except Exception as exc:  # journal down: nothing acknowledged, the partner keeps the message and resends
            return JSONResponse({"error": "unavailable", "detail": "the journal is unavailable; send again later",
                                 "error_type": type(exc).__name__}, status_code=503, headers={"Retry-After": "5"})
        answer = {"message_id": message_id, "journaled": len(outcome.journaled), "duplicates": outcome.duplicates,
                  "event_ids": outcome.journaled}
        if outcome.conflicts:
            log.warning("inbound_conflict", connector=connector, conflicts=len(outcome.conflicts))
            fields = sorted({f for c in outcome.conflicts for f in c["fields"]})
            return JSONResponse({"error": "conflict", **answer,
                                 "detail": "these ids were already journaled with different content ("
                                           + ", ".join(fields) + "); a journaled fact is never overwritten: "
                                           "send the correction under a new id",
                                 "conflicts": outcome.conflicts,
                                 "rejected": outcome.rejected}, status_code=409)
        if outcome.rejected:
            log.info("inbound_rejected_over_http", connector=connector, rejected=len(outcome.rejected),
                     journaled=len(outcome.journaled))
            return JSONResponse({"error": "rejected", **answer, "rejected": outcome.rejected}, status_code=400)
        log.info("inbound_accepted", connector=connector, journaled=len(outcome.journaled),
                 duplicates=outcome.duplicates)
        return JSONResponse(answer, status_code=202)

    @router.get("/healthz")
    async def healthz() -> JSONResponse:
        try:
            outbox = await asyncio.get_running_loop().run_in_executor(None, gateway.hub.journal.outbox_size)
        except Exception as exc:  # the probe's whole point is to say so instead of failing
            return JSONResponse({"status": "unavailable", "journal": type(exc).__name__}, status_code=503)
        return JSONResponse({"status": "ok", "outbox": outbox})

    return router


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

    app = FastAPI(title="Relais partner gateway", version="1", docs_url="/docs", redoc_url=None, lifespan=lifespan)
    app.state.hub = hub
    app.state.gateway = gateway
    app.include_router(_inbound_router(gateway))
    _mount_plugin_routes(app, hub)
    return app
