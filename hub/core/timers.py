"""The timers processors set ("remind on D-30", "radiate at D+2 months"), kept in the journal's database.

Why in the journal: a timer must survive restarts and fire once across several hub processes. It is set in the
transaction that handled the event asking for it, and taken (``pending`` → ``fired``) in the transaction that
journals what its firing derived — a crash in between rolls both back, and the timer is still pending. On
PostgreSQL, processes firing at once take disjoint timers (``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from hub.core.journal_schema import TimerStatus as T
from hub.core.journal_schema import timers
from contracts import LegalEntity
from hub.core.processing import ENTITY_KEY, Timer

__all__ = ["TimerStore", "DueTimer"]


@dataclass(frozen=True)
class DueTimer:
    id: int
    processor: str
    attempts: int
    timer: Timer


class TimerStore:
    def __init__(self, engine: Engine):
        self.engine = engine
        self._pg = engine.dialect.name == "postgresql"
        # built once: a recomputation sets a timer per demand, and building the statement cost more than running it
        dialect = postgresql if self._pg else sqlite
        stmt = dialect.insert(timers)
        self._upsert = stmt.on_conflict_do_update(
            index_elements=[timers.c.processor, timers.c.key],
            set_={"due_at": stmt.excluded.due_at, "payload": stmt.excluded.payload,
                  "subject": stmt.excluded.subject, "updated_at": stmt.excluded.updated_at,
                  "status": T.PENDING, "attempts": 0, "last_error": None},
            # or_, not in_: an expanding IN cannot be used with executemany (several timers in one handling)
            where=or_(timers.c.status == T.PENDING, timers.c.status == T.CANCELLED, timers.c.status == T.FAILED))
        self._cancel = (update(timers).where(timers.c.processor == bindparam("b_processor"),
                                             timers.c.key == bindparam("b_key"), timers.c.status == T.PENDING)
                        .values(status=T.CANCELLED, updated_at=bindparam("b_now")))

    def schedule_in(self, conn: Connection, processor: str, requests: Sequence[tuple[str, str | None, datetime,
                                                                                      dict[str, Any]]],
                    cancels: Sequence[str], now: datetime) -> None:
        """Set (or move) and cancel timers inside the caller's transaction. A key that already fired is spent:
        setting it again changes nothing (a timer fires once)."""
        if cancels:
            conn.execute(self._cancel, [{"b_processor": processor, "b_key": key, "b_now": now} for key in cancels])
        if not requests:
            return
        latest: dict[str, tuple[str | None, datetime, dict[str, Any]]] = {}
        for key, subject, due, payload in requests:   # the last word on a key within one handling wins
            latest[key] = (subject, due, payload)
        conn.execute(self._upsert, [{"processor": processor, "key": key, "subject": subject, "due_at": due,
                             "payload": json.dumps(payload), "status": T.PENDING, "attempts": 0,
                             "created_at": now, "updated_at": now}
                            for key, (subject, due, payload) in latest.items()])

    def take_due_in(self, conn: Connection, processors: Sequence[str], at: datetime, limit: int,
                    skip: Sequence[int] = ()) -> list[DueTimer]:
        """Take up to ``limit`` pending timers due at ``at``, marking them fired inside the caller's transaction:
        committed with what their firing derived, or rolled back with it. One statement, so two processes never
        take the same timer (PostgreSQL skips rows another transaction holds; SQLite serialises writers)."""
        conds = [timers.c.processor.in_(list(processors)), timers.c.status == T.PENDING, timers.c.due_at <= at]
        if skip:
            conds.append(timers.c.id.notin_(list(skip)))
        pick = select(timers.c.id).where(*conds).order_by(timers.c.due_at, timers.c.id).limit(limit)
        if self._pg:
            pick = pick.with_for_update(skip_locked=True)
        stmt = (update(timers).where(timers.c.id.in_(pick), timers.c.status == T.PENDING)
                .values(status=T.FIRED, fired_at=at, attempts=timers.c.attempts + 1, updated_at=at)
                .returning(timers.c.id, timers.c.processor, timers.c.key, timers.c.subject, timers.c.due_at,
                           timers.c.payload, timers.c.attempts))
        rows = sorted(conn.execute(stmt), key=lambda r: (r.due_at, r.id))
        return [DueTimer(r.id, r.processor, r.attempts, _timer(r.key, r.subject, r.due_at, r.payload)) for r in rows]

    def failed(self, timer_id: int, error: str, retry_at: datetime | None, now: datetime) -> None:
        """A firing raised (and was rolled back): try again at ``retry_at``, or give up (``failed``) when it is
        None."""
        values: dict[str, Any] = {"attempts": timers.c.attempts + 1, "last_error": error[:2000], "updated_at": now}
        if retry_at is None:
            values["status"] = T.FAILED
        else:
            values["due_at"] = retry_at
        with self.engine.begin() as conn:
            conn.execute(update(timers).where(timers.c.id == timer_id, timers.c.status == T.PENDING)
                         .values(**values))

    def next_due(self, processors: Sequence[str]) -> datetime | None:
        with self.engine.connect() as conn:
            return conn.execute(select(func.min(timers.c.due_at)).where(
                timers.c.processor.in_(list(processors)), timers.c.status == T.PENDING)).scalar()

    def listing(self, *, processor: str | None = None, subject: str | None = None,
                status: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
        """Timers for an operator (``relais timers``), soonest first."""
        conds = []
        if processor:
            conds.append(timers.c.processor == processor)
        if subject:
            conds.append(timers.c.subject == subject)
        if status:
            conds.append(timers.c.status == status)
        stmt = (select(timers.c.processor, timers.c.key, timers.c.subject, timers.c.due_at, timers.c.status,
                       timers.c.attempts, timers.c.fired_at, timers.c.last_error)
                .where(and_(*conds) if conds else True).order_by(timers.c.due_at, timers.c.id).limit(limit))
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(stmt)]


def _timer(key: str, subject: str | None, due_at: datetime, payload: str | None) -> Timer:
    data = json.loads(payload or "{}")
    entity = data.pop(ENTITY_KEY, None)
    return Timer(key, subject, due_at, data, LegalEntity.model_validate(entity) if entity else None)


def retry_at(attempts: int, now: datetime, max_attempts: int, base: float, cap: float) -> datetime | None:
    """When a failed timer is tried again (doubling, capped), or None once it has used its attempts."""
    if attempts + 1 >= max_attempts:
        return None
    return now + timedelta(seconds=min(cap, base * (2 ** attempts)))
