"""Scheduled pulls: connectors whose partner publishes "what changed since <date>" instead of pushing to the hub.

The SNE is the case in point (``demandesRadieesDepuisLe``, ``nouveauxDaloDepuisLe``). A connector opts in by
overriding :meth:`~hub.core.connector.Connector.poll` and :meth:`~hub.core.connector.Connector.poll_interval`. A pull
writes what it fetched into the connector's inbox, so it is ingested like any inbound file (journaled, deduplicated,
bad records dead-lettered); the scheduler only decides *when* to pull and remembers *from where*.

Why the state lives in the journal (table ``polls``) and not in memory: a restart must resume from the last cursor
a pull returned, not from "now" (that would skip what was published while the hub was down) nor from the beginning;
and several hub processes on one PostgreSQL journal must take turns rather than all pull the same thing — a pull is
leased like a delivery, and a process that dies mid-pull leaves a lease that runs out. A failed pull keeps its
cursor and is retried with exponential backoff, never later than the normal interval.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine

from hub.core import metrics
from hub.core.connector import Connector, Polled
from hub.core.stores.common import as_utc, utcnow
from hub.core.journal_schema import polls

__all__ = ["PollState", "PollStore", "Poller", "PollResult"]

log = structlog.get_logger(__name__)

#: First retry of a failed pull after this many seconds, doubling up to the connector's interval.
RETRY_BASE = 30.0


@dataclass(frozen=True)
class PollState:
    connector: str
    cursor: str | None
    next_due_at: datetime
    leased_until: datetime | None
    failures: int
    last_ok_at: datetime | None
    last_error: str | None


@dataclass(frozen=True)
class PollResult:
    """One pull attempt as the operator sees it: skipped (not due, or another process holds it), done, or failed."""

    connector: str
    outcome: str                  # "fetched" | "failed" | "not_due" | "busy"
    fetched: int = 0
    cursor: str | None = None
    error: str | None = None


class PollStore:
    """The ``polls`` rows: who pulls next, from which cursor."""

    def __init__(self, engine: Engine):
        self.engine = engine
        dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
        self._insert = lambda: dialect.insert(polls).on_conflict_do_nothing()

    def take_turn(self, connector: str, *, lease: float, force: bool = False,
                  now: datetime | None = None) -> tuple[bool, str | None]:
        """Lease this connector's pull if it is due (``force``: even if not) and nobody else holds it.

        Returns (taken, cursor). One conditional UPDATE: of two processes racing, exactly one gets the row."""
        now = now or utcnow()
        with self.engine.connect() as conn:   # the common case, not due yet, costs a read and no write
            known = conn.execute(select(polls.c.next_due_at, polls.c.leased_until)
                                 .where(polls.c.connector == connector)).first()
        if known is not None:
            due_at, leased_until = as_utc(known[0]), as_utc(known[1])
            if (leased_until is not None and leased_until >= now) or (not force and due_at > now):
                return (False, None)
        with self.engine.begin() as conn:
            conn.execute(self._insert().values(connector=connector, next_due_at=now, failures=0, updated_at=now))
            free = or_(polls.c.leased_until.is_(None), polls.c.leased_until < now)
            due = polls.c.next_due_at <= now
            row = conn.execute(
                update(polls).where(polls.c.connector == connector, and_(free, due) if not force else free)
                .values(leased_until=now + timedelta(seconds=lease), updated_at=now)
                .returning(polls.c.cursor)).first()
        return (row is not None, row[0] if row is not None else None)

    def succeeded(self, connector: str, cursor: str | None, *, interval: float) -> None:
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(update(polls).where(polls.c.connector == connector).values(
                cursor=cursor, next_due_at=now + timedelta(seconds=interval), leased_until=None, failures=0,
                last_ok_at=now, last_error=None, updated_at=now))

    def failed(self, connector: str, error: str, *, interval: float, retry_base: float) -> float:
        """Record a failed pull (the cursor stays) and schedule the next try; returns its delay in seconds."""
        now = utcnow()
        with self.engine.begin() as conn:
            failures = conn.execute(select(polls.c.failures).where(polls.c.connector == connector)).scalar_one() + 1
            delay = min(interval, retry_base * 2 ** (failures - 1)) * (1 - 0.25 * random.random())
            conn.execute(update(polls).where(polls.c.connector == connector).values(
                next_due_at=now + timedelta(seconds=delay), leased_until=None, failures=failures,
                last_error=error[:2000], updated_at=now))
        return delay

    def states(self) -> dict[str, PollState]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(polls)).mappings().all()
        return {r["connector"]: PollState(
            connector=r["connector"], cursor=r["cursor"], next_due_at=as_utc(r["next_due_at"]),
            leased_until=as_utc(r["leased_until"]), failures=r["failures"], last_ok_at=as_utc(r["last_ok_at"]),
            last_error=r["last_error"]) for r in rows}


class Poller:
    """Runs the pulls of every connector that has a ``poll_interval``."""

    def __init__(self, connectors: Mapping[str, Connector], store: PollStore, *, lease: float,
                 retry_base: float = RETRY_BASE):
        self.store = store
        self.lease = lease
        self.retry_base = retry_base
        self.intervals: dict[str, float] = {}
        self.connectors: dict[str, Connector] = {}
        for name, connector in connectors.items():
            try:
                interval = connector.poll_interval()
            except Exception as exc:  # one broken connector must not take the hub down: it is just not pulled
                log.error("poll_interval_failed", connector=name, error_type=type(exc).__name__, error=str(exc)[:300])
                continue
            if interval is not None and interval > 0:
                self.intervals[name] = interval
                self.connectors[name] = connector

    def __bool__(self) -> bool:
        return bool(self.connectors)

    def run_due(self) -> list[PollResult]:
        """Pull, once, for every connector whose turn it is."""
        return [self.poll(name) for name in self.connectors]

    def poll(self, name: str, *, force: bool = False, cursor: str | None = None) -> PollResult:
        """One pull for ``name`` if due (``force``: now). ``cursor`` overrides the stored one (an operator
        re-fetching a range); the cursor the pull returns is stored as usual."""
        connector = self.connectors[name]
        taken, stored = self.store.take_turn(name, lease=self.lease, force=force)
        if not taken:
            return PollResult(name, "not_due" if not force else "busy")
        interval = self.intervals[name]
        try:
            polled = connector.poll(cursor if cursor is not None else stored)
            if not isinstance(polled, Polled):
                raise TypeError(f"{type(connector).__name__}.poll returned {type(polled).__name__}, not hub.Polled")
        except Exception as exc:  # a partner that is down must not stop the hub: try again later, same cursor
            error = f"{type(exc).__name__}: {exc}"
            delay = self.store.failed(name, error, interval=interval, retry_base=self.retry_base)
            metrics.POLLS.labels(name, "failed").inc()
            log.warning("poll_failed", connector=name, error_type=type(exc).__name__, error=str(exc)[:300],
                        retry_in=round(delay, 1))
            return PollResult(name, "failed", cursor=stored, error=error)
        self.store.succeeded(name, polled.cursor, interval=interval)
        metrics.POLLS.labels(name, "fetched").inc()
        log.info("polled", connector=name, fetched=polled.fetched)
        return PollResult(name, "fetched", fetched=polled.fetched, cursor=polled.cursor)

    def run(self, stop: threading.Event, tick: float = 1.0) -> None:
        """Until ``stop``: pull whatever is due, checking every ``tick`` seconds at most (the journal says what is
        due, so a pull another process made, or an interval changed by a restart, is taken into account)."""
        tick = min([tick, *self.intervals.values()])
        while not stop.is_set():
            try:
                self.run_due()
            except Exception as exc:  # the journal away: the pulls wait, like everything else
                log.warning("poll_schedule_failed", error_type=type(exc).__name__, error=str(exc)[:300])
            stop.wait(tick)

    def describe(self) -> list[dict[str, Any]]:
        """Every polling connector with its interval and stored state, for ``relais poll --status``."""
        states = self.store.states()
        out = []
        for name, interval in sorted(self.intervals.items()):
            state = states.get(name)
            out.append({"connector": name, "interval_seconds": interval,
                        "cursor": state.cursor if state else None,
                        "next_due_at": state.next_due_at.isoformat() if state else "now",
                        "last_ok_at": state.last_ok_at.isoformat() if state and state.last_ok_at else None,
                        "failures": state.failures if state else 0,
                        "last_error": state.last_error if state else None})
        return out
