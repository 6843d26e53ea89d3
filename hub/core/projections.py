"""Projections: the read models processors keep in the journal's database, and their rebuild from the journal.

Why they can always be rebuilt: the journal is the record; a projection is only a view of it. A processor's tables
are created at start; when its ``projection_version`` changes (or it is new on an existing journal) they are
emptied and rebuilt by replaying, in journal order, every event it subscribes to that it has already been given —
what live processing built and what a rebuild builds are the same (tested).

Live processing and a rebuild of one projection never interleave: both take the projection's lock in their
transaction (PostgreSQL: an advisory lock per projection; SQLite: its single writer).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Engine, and_, exists, or_, select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from contracts import REGISTRY
from hub.core.journal import utcnow
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import deliveries, events, projections
from hub.core.processing import ProcessContext, Processor, subscribed_types

__all__ = ["ProjectionManager", "REBUILD_PAGE"]

log = structlog.get_logger(__name__)

#: Events read per page during a rebuild (keyset pagination on seq: constant memory whatever the journal's size).
REBUILD_PAGE = 1000

#: Advisory lock space of projections (hashes of their names are added to it).
_LOCK_BASE = 7_440_000


class ProjectionManager:
    def __init__(self, engine: Engine, processors: Mapping[str, Processor]):
        self.engine = engine
        self.processors = {n: p for n, p in processors.items() if p.tables is not None}
        self._pg = engine.dialect.name == "postgresql"
        self._turns = {n: threading.Lock() for n in processors}

    def turn(self, name: str) -> threading.Lock:
        """The processor's turn in this process: a processor's events handled before their transaction (SQLite,
        :mod:`hub.core.processor_worker`) and its timers firing take it, so that its ``process`` and ``on_timer`` never
        run at once in two threads — as when both ran only inside transactions that the journal serialised."""
        return self._turns.setdefault(name, threading.Lock())

    def lock_in(self, conn: Connection, name: str) -> None:
        """Hold the projection for the rest of the caller's transaction (live processing vs a rebuild)."""
        if self._pg and name in self.processors:
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"),
                         {"k": _LOCK_BASE + zlib.crc32(name.encode()) % 100_000})

    def status(self) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            known = {r.name: dict(r._mapping) for r in conn.execute(select(projections))}
        return [known.get(n, {"name": n, "version": None, "status": "missing", "rebuilt_at": None,
                              "events": None}) | {"wanted_version": p.projection_version}
                for n, p in sorted(self.processors.items())]

    def create_tables(self) -> None:
        """Create the projections' missing tables (nothing else): a command reading a projection on a journal no hub
        has run on yet finds them empty rather than missing. Under the schema lock: two processes may start."""
        if not self.processors:
            return
        with self.engine.begin() as conn:
            if self._pg:
                conn.execute(text("SELECT pg_advisory_xact_lock(7431)"))
            for processor in self.processors.values():
                processor.tables.create_all(conn)    # type: ignore[union-attr]

    def ensure(self, clock: Callable[[], datetime],
               on_progress: Callable[[str, int], None] | None = None) -> list[str]:
        """At start: create every projection's tables; rebuild the ones that are new or of another version.
        Returns the names rebuilt."""
        rebuilt: list[str] = []
        for name, processor in sorted(self.processors.items()):
            with self.engine.begin() as conn:
                self.lock_in(conn, name)
                row = conn.execute(select(projections.c.version, projections.c.status)
                                   .where(projections.c.name == name)).first()
                current = row is not None and row.version == processor.projection_version and row.status == "ready"
                if not current:
                    if row is not None and row.version != processor.projection_version:
                        processor.tables.drop_all(conn)   # type: ignore[union-attr]
                    processor.tables.create_all(conn)    # type: ignore[union-attr]
                else:
                    processor.tables.create_all(conn)    # type: ignore[union-attr]   # a table dropped by hand
            if not current:
                log.debug("projection_rebuild_needed", projection=name,
                         reason="new" if row is None else f"version {row.version} -> {processor.projection_version}"
                         if row.version != processor.projection_version else f"status {row.status}")
                self.rebuild(name, clock, on_progress)
                rebuilt.append(name)
        return rebuilt

    def rebuild(self, name: str, clock: Callable[[], datetime],
                on_progress: Callable[[str, int], None] | None = None) -> int:
        """Empty one projection and replay the journal into it, in one transaction. Returns the events replayed.

        Replayed: every journaled event of a type the processor subscribes to, except those it has not been given
        yet (an open delivery: live processing will apply them after this), through ``process``; and the events it
        emitted itself, through ``applied`` — for one demand, in the order live processing saw them."""
        processor = self.processors[name]
        types = subscribed_types(processor)
        now = clock()
        replayed = 0
        with self.engine.begin() as conn:
            self.lock_in(conn, name)
            _set_state(conn, name, processor.projection_version, "rebuilding", None, None, self._pg)
            processor.reset_projection(conn)
            not_yet = exists().where(and_(deliveries.c.subscriber == name, deliveries.c.seq == events.c.seq,
                                          deliveries.c.status.notin_(S.SETTLED)))
            last = 0
            while types:
                taken = and_(events.c.type.in_(types), events.c.source != name, ~not_yet)
                page = conn.execute(select(events.c.seq, events.c.source, events.c.body)
                                    .where(events.c.seq > last, or_(taken, events.c.source == name))
                                    .order_by(events.c.seq).limit(REBUILD_PAGE)).all()
                if not page:
                    break
                for seq, source, body in page:
                    event = REGISTRY.parse(body)
                    ctx = ProcessContext(conn, processor, now, cause=event, replaying=True)
                    if source == name:     # its own decision, derived from an event or a timer
                        processor.applied(event, ctx)
                    else:
                        for _ in processor.process(event, ctx) or ():   # drained: a generator runs to its end
                            pass
                    last = seq
                replayed += len(page)
                if on_progress is not None:
                    on_progress(name, replayed)
            _set_state(conn, name, processor.projection_version, "ready", clock(), replayed, self._pg)
        (log.info if replayed else log.debug)("projection_rebuilt", projection=name, events=replayed)
        return replayed


def _set_state(conn: Connection, name: str, version: str, status: str, rebuilt_at: datetime | None,
               count: int | None, pg: bool) -> None:
    now = utcnow()
    values = {"name": name, "version": version, "status": status, "updated_at": now}
    if rebuilt_at is not None:
        values |= {"rebuilt_at": rebuilt_at, "events": count}
    dialect = postgresql if pg else sqlite
    stmt = dialect.insert(projections).values(**values)
    stmt = stmt.on_conflict_do_update(index_elements=[projections.c.name],
                                      set_={k: v for k, v in values.items() if k != "name"})
    conn.execute(stmt)

