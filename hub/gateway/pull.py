"""The pull API: a partner behind a firewall fetches its pending events and acknowledges them.

::

    GET  /v1/partners/me/events?after=<cursor>&limit=N   its pending events, in journal order, with a cursor
    POST /v1/partners/me/events/ack                      {"cursor": "..."} and/or {"ids": [...]}: received

Why at-least-once with an explicit acknowledgement: the hub cannot know that a response reached the partner; until
the partner acknowledges, the same events come back on the next GET (the event id is the partner's idempotency
key), and once acknowledged they never come back. ``after`` pages through what is pending without acknowledging.
The partner sees only its own subscriber's rows (``partner.<id>``: what its access rules let it receive), every
call is in the audit trail, and the events are re-checked against the access rules before they are served.
"""

from __future__ import annotations

import asyncio
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError

from contracts import REGISTRY
from hub.core.audit import AuditKind
from hub.core.channels import ChannelKind, subscriber_name
from hub.core.errors import EncodeError
from hub.core.journal_schema import DeliveryStatus
from hub.core.stores.deliveries import DeliveryOutcome
from hub.core.partners import Authenticated
from hub.gateway.auth import require_partner
from hub.gateway.problems import PROBLEM_JSON, problem

__all__ = ["Acknowledged", "PullAck", "PulledEvents", "pull_router"]

EVENTS_PATH = "/v1/partners/me/events"
#: the calling registry partner (key or certificate), else 401
Caller = Annotated[Authenticated, Depends(require_partner())]
MAX_LIMIT = 500
#: An acknowledgement is at most 500 ids: anything much larger is not one (refused before it is parsed).
MAX_ACK_BYTES = 128 * 1024


class PulledEvents(BaseModel):
    """The partner's pending events; acknowledge them (``cursor``) once stored."""

    events: list[dict[str, Any]] = Field(description="Canonical event envelopes (contracts), in journal order.")
    cursor: str | None = Field(description="Position of the last event returned: `after` for the next page, "
                                           "`cursor` to acknowledge everything up to it. Null when none returned.")
    more: bool = Field(description="Whether more pending events follow (GET again with after=cursor).")


class PullAck(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cursor: str | None = Field(default=None, pattern=r"^[0-9]{1,18}$",
                               description="Acknowledge every pending event up to this cursor (from a GET).")
    ids: list[Annotated[str, StringConstraints(min_length=1, max_length=128)]] | None = Field(
        default=None, max_length=MAX_LIMIT,
                                  description="Acknowledge these events, by event id.")


class Acknowledged(BaseModel):
    acknowledged: int = Field(description="Events marked delivered by this call (0 when already acknowledged).")


_PROBLEM = {"content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}}
_NOT_PULL = {409: {"description": "the partner has no pull channel (`relais partners deliver ID --pull`)",
                   **_PROBLEM}}


def _not_pulling(hub: Any, caller: Authenticated) -> JSONResponse | None:
    subscriber = hub.partner_subscribers.get(subscriber_name(caller.partner.id))
    if subscriber is not None and subscriber.channel.kind == ChannelKind.PULL:
        return None
    how = subscriber.channel.kind if subscriber is not None else "no channel"
    return problem(409, f"partner {caller.partner.id} receives by {how}, not by pull; the operator sets it with "
                        f"`relais partners deliver {caller.partner.id} --pull` (and restarts the hub)",
                   errors=[{"field": "channel", "reason": f"is {how}, not pull"}])


async def _bounded_ack(request: Request) -> PullAck:
    """The acknowledgement's body, read within ``MAX_ACK_BYTES`` (a hostile client must not make the gateway buffer
    megabytes), then validated: 413 or 422 problems naming the field."""
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > MAX_ACK_BYTES):
        raise HTTPException(413, detail=f"an acknowledgement is at most {MAX_ACK_BYTES} bytes (500 ids); send "
                                        "several, or acknowledge by cursor")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_ACK_BYTES:
            raise HTTPException(413, detail=f"an acknowledgement is at most {MAX_ACK_BYTES} bytes (500 ids)")
    try:
        return PullAck.model_validate_json(bytes(body))
    except ValidationError as exc:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in exc.errors()]) from None


def pull_router() -> APIRouter:
    router = APIRouter(tags=["partners"])

    @router.get(EVENTS_PATH, response_model=PulledEvents, responses=_NOT_PULL,
                summary="The calling partner's pending events")
    async def pending_events(request: Request, caller: Caller,
                             after: int = Query(0, ge=0, le=2 ** 63 - 1,
                                                description="Cursor of a previous page; 0: from the oldest pending."),
                             limit: int = Query(100, ge=1, le=MAX_LIMIT, description="Events at most.")) -> Any:
        hub = request.app.state.hub
        refused = _not_pulling(hub, caller)
        if refused is not None:
            return refused
        name = subscriber_name(caller.partner.id)
        served = await asyncio.to_thread(_serve, hub, name, after, limit)
        hub.audit_access(actor=caller.partner.id, key_id=caller.key_id, action=f"GET {EVENTS_PATH}",
                         target=f"after {after}", reason=f"{len(served.events)} event(s)", kind=AuditKind.READ)
        return served

    @router.post(f"{EVENTS_PATH}/ack", response_model=Acknowledged,
                 responses={**_NOT_PULL, 413: {"description": f"over {MAX_ACK_BYTES} bytes", **_PROBLEM}},
                 summary="Acknowledge received events: they are not served again",
                 openapi_extra={"requestBody": {"required": True, "content": {
                     "application/json": {"schema": PullAck.model_json_schema()}}}})
    async def acknowledge(request: Request, ack: Annotated[PullAck, Depends(_bounded_ack)], caller: Caller) -> Any:
        hub = request.app.state.hub
        refused = _not_pulling(hub, caller)
        if refused is not None:
            return refused
        if ack.cursor is None and not ack.ids:
            return problem(422, "say what was received: a `cursor` from a GET, or the `ids` of the events",
                           errors=[{"field": "cursor", "reason": "give cursor or ids"}])
        name = subscriber_name(caller.partner.id)
        count = await asyncio.to_thread(
            hub.journal.deliveries.acknowledge_pulled, name,
            up_to=int(ack.cursor) if ack.cursor is not None else None, event_ids=ack.ids or ())
        hub.audit_access(actor=caller.partner.id, key_id=caller.key_id, action=f"POST {EVENTS_PATH}/ack",
                         target=f"cursor {ack.cursor}" if ack.cursor else f"{len(ack.ids or [])} id(s)",
                         reason=f"{count} acknowledged", kind=AuditKind.READ)
        return Acknowledged(acknowledged=count)

    return router


def _serve(hub: Any, name: str, after: int, limit: int) -> PulledEvents:
    """The pending rows, re-checked against the access rules (a row routed before a rule changed is marked
    denied, not served), rendered as the canonical envelope."""
    subscriber = hub.partner_subscribers[name]
    rows = hub.journal.deliveries.pull_pending(name, after=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    events, denied, served, broken = [], [], [], []
    for seq, event_id, body in rows:
        try:
            event = REGISTRY.parse(body)
            if not hub.policy.allowed(subscriber, event):
                denied.append(seq)
                continue
            events.append(json.loads(subscriber.encode(event).body))
            served.append(seq)
        except Exception as exc:  # noqa: BLE001 - one unreadable row must not block the partner's every pull
            status = DeliveryStatus.UNRENDERABLE if isinstance(exc, EncodeError) else DeliveryStatus.DEAD
            broken.append(DeliveryOutcome(seq, status, error=f"event {event_id} cannot be served: "
                                          f"{type(exc).__name__}: {exc}"))
    if denied:
        hub.journal.deliveries.set_status(name, denied, DeliveryStatus.DENIED)
    if broken:     # kept in the dead letters with the reason, like a worker's failed encoding; the rest goes on
        hub.journal.deliveries.complete(name, broken)
    hub.journal.deliveries.mark_served(name, served)
    return PulledEvents(events=events, cursor=str(rows[-1][0]) if rows else None, more=more)
