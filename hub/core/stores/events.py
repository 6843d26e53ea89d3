"""The event store (tables ``events`` and ``snapshots``): the append-only, legally required history of every demand,
and what bulk imports have seen.

Why it is built for batches: durability costs one disk sync per transaction, so the hub writes many events per
transaction (group commit) and acknowledges upstream only once the batch is durable (docs/architecture.md,
invariant 8). An append writes, in its one transaction, the events, their outbox rows
(:class:`~hub.core.stores.outbox.OutboxStore`) and one delivery row per subscriber the router names
(:class:`~hub.core.stores.deliveries.DeliveryStore`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import func, or_, select, text
from sqlalchemy.engine import Connection, Engine

from contracts import Envelope
from hub.core.changes import changed_paths
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import events, outbox, snapshots
from hub.core.storable import journal_text
from hub.core.stores.common import among, as_utc, dialect_insert, utcnow
from hub.core.stores.deliveries import DeliveryStore
from hub.core.stores.outbox import OutboxStore
from hub.core.stores.rows import RowInsert

__all__ = ["EventStore", "Route", "Conflict", "AppendResult"]


@dataclass(frozen=True)
class Route:
    """One subscriber an event goes to, and whether the access policy lets it see the event."""

    subscriber: str
    allowed: bool


@dataclass(frozen=True)
class Conflict:
    """An event sent again under an id already journaled (same event id, or same source and source message id)
    whose content differs: a change that would otherwise be dropped as a duplicate. ``fields`` are the paths that
    differ (never their values); ``journaled_id`` is the id of the event the journal holds."""

    envelope: Envelope[Any]
    journaled_id: str
    fields: tuple[str, ...]


@dataclass
class AppendResult:
    inserted: list[tuple[int, Envelope[Any]]] = field(default_factory=list)
    duplicates: list[Envelope[Any]] = field(default_factory=list)   # same id, same content: harmless
    conflicts: list[Conflict] = field(default_factory=list)         # same id, different content: refused
    takers: dict[int, int] = field(default_factory=dict)            # seq → subscribers it is pending for


Router = Callable[[Envelope[Any]], list[Route]]


class EventStore:
    def __init__(self, engine: Engine, outbox_store: OutboxStore, delivery_store: DeliveryStore,
                 router: Router | None = None):
        self.engine = engine
        self.outbox = outbox_store
        self.deliveries = delivery_store
        #: who receives each appended event; replaceable (``Journal.router``) until the hub runs
        self.router: Router = router or (lambda _e: [])
        self._insert = RowInsert(engine.dialect, events, _EVENT_COLUMNS, ignore_conflicts=True,
                                 returning=("seq", "id"), preconverted=("recorded_at",), repeated=("time",))

    # --- appending --------------------------------------------------------------------------------------------
    def append(self, batch: Sequence[Envelope[Any]],
               snapshots_seen: Sequence[tuple[str, str, str]] = (), *, outbox: bool = True) -> AppendResult:
        """Journal a batch of events in one transaction, with their outbox rows and one delivery row per subscriber.

        Events already journaled (same id, or same source and source message id) are returned as duplicates and
        change nothing: that is how redelivered inbound messages are absorbed. ``snapshots_seen`` (source, key,
        fingerprint) records, in the same transaction, what a bulk import has now seen. Without ``outbox`` no outbox
        row is written: the caller puts the events on the in-process bus itself (:mod:`hub.core.direct_dispatch`).
        """
        if not batch and not snapshots_seen:
            return AppendResult()
        with self.engine.begin() as conn:
            return self.append_in(conn, batch, snapshots_seen, outbox=outbox)

    def append_in(self, conn: Connection, batch: Sequence[Envelope[Any]],
                  snapshots_seen: Sequence[tuple[str, str, str]] = (),
                  depths: dict[str, int] | None = None, *, outbox: bool = True) -> AppendResult:
        """``append`` inside the caller's transaction: a processor journals what it derived in the same transaction
        as its delivery outcome, so that a redelivered input can never derive twice. ``depths`` (event id → causation
        depth) is recorded for derived events (see :mod:`hub.core.processing`)."""
        result = AppendResult()
        now = utcnow()
        inserted_ids: dict[str, int] = {}
        if batch:
            recorded_at = self._insert.convert("recorded_at", now)
            depths = depths or {}
            rows = self._insert.params_all([(e.id, e.type, e.source, e.sourcemessageid, e.subject, e.entity.siren,
                                             e.entity.nom, e.time, recorded_at, journal_text(e), depths.get(e.id))
                                            for e in batch])
            self._serialise_appends(conn)
            inserted_ids = {event_id: seq for seq, event_id in self._insert.returning(conn, rows)}
        delivery_rows: list[tuple[str, int, str | None, str]] = []
        for envelope in batch:
            seq = inserted_ids.pop(envelope.id, None)
            if seq is None:
                result.duplicates.append(envelope)
                continue
            result.inserted.append((seq, envelope))
            takers = 0
            for route in self.router(envelope):
                delivery_rows.append((route.subscriber, seq, envelope.subject,
                                      S.PENDING if route.allowed else S.DENIED))
                takers += route.allowed
            result.takers[seq] = takers
        if result.duplicates:
            result.duplicates, result.conflicts = self._split_conflicts(conn, result.duplicates)
        if outbox:
            self.outbox.add_in(conn, [seq for seq, _ in result.inserted])
        self.deliveries.add_in(conn, delivery_rows, now)
        if snapshots_seen:
            self._upsert_snapshots(conn, snapshots_seen, now)
        return result

    def _split_conflicts(self, conn: Connection, duplicates: list[Envelope[Any]]
                         ) -> tuple[list[Envelope[Any]], list[Conflict]]:
        """Of the events the journal already had, tell the true resends from the changed ones.

        Why compare: a partner resending decision ``C-77`` with a different decision would otherwise get
        "duplicate" and its change would vanish. Compared: type, subject, legal entity (its SIREN), time (as an
        instant) and payload; the envelope's own id and the source message id are what made them duplicates."""
        ids = [e.id for e in duplicates]
        smids = [e.sourcemessageid for e in duplicates if e.sourcemessageid]
        clauses = [events.c.id.in_(ids)]
        if smids:
            clauses.append(events.c.source_message_id.in_(smids))
        stored_by_id: dict[str, tuple[str, str]] = {}
        stored_by_smid: dict[tuple[str, str], tuple[str, str]] = {}
        for event_id, source, smid, body in conn.execute(
                select(events.c.id, events.c.source, events.c.source_message_id, events.c.body).where(or_(*clauses))):
            stored_by_id[event_id] = (event_id, body)
            if smid:
                stored_by_smid[(source, smid)] = (event_id, body)
        same: list[Envelope[Any]] = []
        conflicts: list[Conflict] = []
        for envelope in duplicates:
            stored = stored_by_id.get(envelope.id) or stored_by_smid.get((envelope.source, envelope.sourcemessageid))
            if stored is None:   # cannot happen inside the transaction that found it duplicate; keep it harmless
                same.append(envelope)
                continue
            fields = changed_paths(_comparable(json.loads(stored[1])),
                                   _comparable(json.loads(envelope.model_dump_json())))
            if fields:
                conflicts.append(Conflict(envelope, stored[0], tuple(fields)))
            else:
                same.append(envelope)
        return same, conflicts

    def _serialise_appends(self, conn: Connection) -> None:
        """PostgreSQL: one append transaction at a time, across every hub process, until commit.

        Why: a sequence hands out numbers at insert, not at commit; two processes journaling at once could commit
        seq 11 before seq 10 — a worker would deliver a demand's event 11 before its event 10, and a reader
        following the journal by seq would skip 10. With this lock seq order is commit order. It costs little: an
        append is one short group-commit transaction. (One lock rather than one per demand: a batch of thousands
        of demands would fill PostgreSQL's shared lock table.)"""
        if self.engine.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(7432)"))

    # --- bulk-import snapshots ----------------------------------------------------------------------------------
    def _upsert_snapshots(self, conn: Connection, seen: Sequence[tuple[str, str, str]], now: datetime) -> None:
        stmt = dialect_insert(self.engine, snapshots)
        stmt = stmt.on_conflict_do_update(index_elements=[snapshots.c.source, snapshots.c.key],
                                          set_={"fingerprint": stmt.excluded.fingerprint,
                                                "updated_at": stmt.excluded.updated_at})
        conn.execute(stmt, [{"source": s, "key": k, "fingerprint": f, "updated_at": now} for s, k, f in seen])

    def known_fingerprints(self, source: str, keys: Iterable[str]) -> dict[str, str]:
        """Fingerprints last imported for these keys (one query for a whole chunk of a bulk file)."""
        keys = list(keys)
        if not keys:
            return {}
        with self.engine.connect() as conn:
            rows = conn.execute(select(snapshots.c.key, snapshots.c.fingerprint)
                                .where(snapshots.c.source == source, snapshots.c.key.in_(keys)))
            return {k: f for k, f in rows}

    # --- reading ----------------------------------------------------------------------------------------------
    def find_event(self, event_id: str) -> dict[str, Any] | None:
        """One event's journal facts, whether it still waits for the broker, and its state at every subscriber."""
        with self.engine.connect() as conn:
            row = conn.execute(select(events.c.seq, events.c.id, events.c.type, events.c.subject, events.c.source,
                                      events.c.recorded_at, outbox.c.seq.label("unpublished"))
                               .outerjoin(outbox, outbox.c.seq == events.c.seq)
                               .where(events.c.id == event_id)).first()
        if row is None:
            return None
        return {"seq": row.seq, "id": row.id, "type": row.type, "subject": row.subject, "source": row.source,
                "recorded_at": as_utc(row.recorded_at), "published": row.unpublished is None,
                "deliveries": self.deliveries.states(row.seq)}

    def history(self, numero_unique: str) -> list[dict[str, Any]]:
        """Every event of a demand in journal order: the legally required trace (what, when, which entity)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(events.c.seq, events.c.id, events.c.type, events.c.time,
                                       events.c.recorded_at, events.c.source, events.c.entity_siren,
                                       events.c.entity_nom)
                                .where(events.c.subject == numero_unique).order_by(events.c.seq))
            return [{**r._mapping, "time": as_utc(r.time), "recorded_at": as_utc(r.recorded_at)} for r in rows]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(events)).scalar_one()

    def bodies(self, seqs: Sequence[int]) -> list[tuple[int, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(events.c.seq, events.c.type, events.c.body)
                                .where(among(events.c.seq, seqs, self.engine.dialect)).order_by(events.c.seq))
            return [tuple(r) for r in rows]


#: the columns of an event row, in the order ``append_in`` gives them
_EVENT_COLUMNS = ("id", "type", "source", "source_message_id", "subject", "entity_siren", "entity_nom", "time",
                  "recorded_at", "body", "depth")


def _comparable(envelope: dict[str, Any]) -> dict[str, Any]:
    """What makes two journaled events the same fact (see ``EventStore._split_conflicts``)."""
    when = envelope.get("time")
    try:
        when = datetime.fromisoformat(when).astimezone(timezone.utc).isoformat() if isinstance(when, str) else when
    except ValueError:
        pass
    entity = envelope.get("entity")
    # the entity is its SIREN: a resend spelling the raison sociale differently is the same legal entity
    siren = entity.get("siren") if isinstance(entity, dict) else entity
    return {"type": envelope.get("type"), "subject": envelope.get("subject"), "entity": {"siren": siren},
            "time": when, "data": envelope.get("data")}
