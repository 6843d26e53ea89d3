"""The dead-letter store (table ``dead_letters``): rejected inbound input, and outbound deliveries that exhausted
their retries or that a partner's format cannot carry — listed, inspected and settled by an operator.

The inbound side (deduplication, byte quota) is :class:`hub.core.deadletter_store.InboundDeadLetters`; this store
wraps it so that the journal has one place for every dead letter. Outbound dead letters are written inside the
transaction that records the delivery's outcome (``add_outbound_in``), so a delivery is never dead without its
dead letter.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection, Engine

from hub.core.deadletter_store import InboundDeadLetters
from hub.core.journal_schema import dead_letters
from hub.core.stores.common import as_utc, last_reason, utcnow

__all__ = ["DeadLetterStore"]


class DeadLetterStore:
    def __init__(self, engine: Engine, quota: Callable[[str], int | None] | None = None):
        self.engine = engine
        self.inbound = InboundDeadLetters(engine, quota)

    def add_inbound(self, items: Sequence[dict[str, Any]]) -> list[int]:
        """Keep rejected inbound messages/records with the raw bytes and the reason (one transaction per batch);
        an identical input already open is counted again rather than stored again (see
        :mod:`hub.core.deadletter_store`). Returns each item's dead-letter id."""
        if not items:
            return []
        return self.inbound.add(items, utcnow())

    def add_outbound_in(self, conn: Connection, subscriber: str, seq: int, event_type: str | None,
                        error: str | None, now: datetime) -> None:
        """Inside the transaction that makes a delivery dead or unrenderable: its dead letter, with every attempt."""
        conn.execute(dead_letters.insert().values(
            direction="outbound", connector=subscriber, event_type=event_type, event_seq=seq,
            reason=last_reason(error), attempts=error, status="open", created_at=now, updated_at=now))

    def list(self, *, status: str | None = "open", connector: str | None = None,
             event_type: str | None = None, direction: str | None = None,
             since: datetime | None = None, until: datetime | None = None,
             ids: Sequence[int] | None = None, limit: int | None = None) -> list[dict[str, Any]]:
        stmt = select(dead_letters).order_by(dead_letters.c.id)
        if status:
            stmt = stmt.where(dead_letters.c.status == status)
        if connector:
            stmt = stmt.where(dead_letters.c.connector == connector)
        if event_type:
            stmt = stmt.where(dead_letters.c.event_type == event_type)
        if direction:
            stmt = stmt.where(dead_letters.c.direction == direction)
        if since:
            stmt = stmt.where(dead_letters.c.created_at >= since)
        if until:
            stmt = stmt.where(dead_letters.c.created_at < until)
        if ids is not None:
            stmt = stmt.where(dead_letters.c.id.in_(list(ids)))
        if limit:
            stmt = stmt.limit(limit)
        with self.engine.connect() as conn:
            return [{**r._mapping, "created_at": as_utc(r.created_at), "updated_at": as_utc(r.updated_at)}
                    for r in conn.execute(stmt)]

    def set_status(self, ids: Sequence[int], status: str) -> None:
        if ids:
            with self.engine.begin() as conn:
                conn.execute(update(dead_letters).where(dead_letters.c.id.in_(list(ids)))
                             .values(status=status, updated_at=utcnow()))
