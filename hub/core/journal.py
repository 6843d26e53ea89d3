"""The journal: the durable, append-only record of every event, and of every partner's delivery of it.

Why it is built for batches: durability costs one disk sync per transaction, so the hub writes many events per
transaction (group commit) and acknowledges upstream only once the batch is durable (docs/architecture.md, invariant 7).
Every method that writes takes a batch.

SQLite (embedded, the default) and PostgreSQL (at scale) share this code; the only dialect-specific piece is the
"insert unless it already exists" statement.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import (
    Engine, and_, bindparam, case, create_engine, delete, event, exists, func, or_, select, text, update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, make_url

from contracts import Envelope
from hub.core.changes import changed_paths
from hub.core.deadletter_store import InboundDeadLetters
from hub.core.private import private_dir, private_file
from hub.core.schema_upgrade import upgrade_additively
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import dead_letters, deliveries, events, metadata, outbox, snapshots
from hub.core import partners_schema  # noqa: F401  (its tables are on the same metadata: created with the journal's)

__all__ = [
    "Journal", "AppendResult", "Backlog", "Conflict", "Route", "ClaimedDelivery", "DeliveryOutcome", "LeaseExpiry",
    "WORKER_LOST", "utcnow", "as_utc",
]

log = structlog.get_logger(__name__)

#: The ``kind`` of the attempt entry written when a claim's lease ran out: its worker died while delivering.
WORKER_LOST = "WorkerLost"


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def as_utc(value: datetime | None) -> datetime | None:
    """SQLite hands back naive datetimes; everything the journal stores is UTC."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


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


@dataclass(frozen=True)
class ClaimedDelivery:
    seq: int
    attempts: int                              # this attempt's number (claims are counted, see ``claim``)
    body: str
    type: str
    subject: str | None = None
    errors: tuple[dict[str, Any], ...] = ()   # earlier attempts' errors, oldest first
    recorded_at: datetime | None = None        # when the event was journaled (delivery latency)
    claimed_at: datetime | None = None         # the claim's token: its outcome is recorded only while it holds


@dataclass(frozen=True)
class DeliveryOutcome:
    """What happened to one claimed delivery; the journal records a batch of these in one transaction.

    ``attempted=False`` gives the claim back without spending an attempt: the worker stopped before calling the
    partner (hub stopping, lease budget spent, partner failing on every call of the batch)."""

    seq: int
    status: str                       # delivered | retrying | dead | denied | pending (given back)
    error: str | None = None
    next_attempt_at: datetime | None = None
    event_type: str | None = None
    attempted: bool = True


@dataclass(frozen=True)
class Backlog:
    """What a subscriber still has to receive: ``due`` could be delivered now (pending, due retries, claims in
    hand), ``held`` waits behind a dead delivery of the same demand (an operator must retry or discard it), ``later``
    are retries whose time has not come."""

    due: int = 0
    held: int = 0
    later: int = 0

    @property
    def total(self) -> int:
        return self.due + self.held + self.later


@dataclass
class LeaseExpiry:
    """Deliveries whose worker vanished (its lease ran out): made due again, or dead after too many tries."""

    released: list[int] = field(default_factory=list)
    dead: list[int] = field(default_factory=list)


class Journal:
    """The journal and its outbox, delivery states, dead letters and import snapshots."""

    def __init__(self, url: str, *, router: Callable[[Envelope[Any]], list[Route]] | None = None,
                 connect_timeout: float = 10.0, statement_timeout: float = 60.0,
                 dead_letter_quota: Callable[[str], int | None] | None = None):
        self.url = url
        self.engine = _make_engine(url, connect_timeout=connect_timeout, statement_timeout=statement_timeout)
        self.router = router or (lambda _e: [])
        self._create_schema()
        self.inbound_dead_letters = InboundDeadLetters(self.engine, dead_letter_quota)

    def _create_schema(self) -> None:
        """Create the tables that are missing, one process at a time.

        Why a lock: two hub processes starting together on an empty PostgreSQL database both see no table and both
        create them; the loser dies on a unique violation in PostgreSQL's catalogue (``pg_type``). A transaction-level
        advisory lock makes the second wait, then find the tables there. SQLite serialises writers by itself."""
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                conn.execute(text("SELECT pg_advisory_xact_lock(7431)"))
            upgrade_additively(conn, metadata)

    def close(self) -> None:
        self.engine.dispose()

    # --- appending --------------------------------------------------------------------------------------------
    def append(self, batch: Sequence[Envelope[Any]],
               snapshots_seen: Sequence[tuple[str, str, str]] = ()) -> AppendResult:
        """Journal a batch of events in one transaction, with their outbox rows and one delivery row per subscriber.

        Events already journaled (same id, or same source and source message id) are returned as duplicates and
        change nothing: that is how redelivered inbound messages are absorbed. ``snapshots_seen`` (source, key,
        fingerprint) records, in the same transaction, what a bulk import has now seen.
        """
        if not batch and not snapshots_seen:
            return AppendResult()
        with self.engine.begin() as conn:
            return self.append_in(conn, batch, snapshots_seen)

    def append_in(self, conn: Connection, batch: Sequence[Envelope[Any]],
                  snapshots_seen: Sequence[tuple[str, str, str]] = (),
                  depths: dict[str, int] | None = None) -> AppendResult:
        """``append`` inside the caller's transaction: a processor journals what it derived in the same transaction
        as its delivery outcome, so that a redelivered input can never derive twice. ``depths`` (event id → causation
        depth) is recorded for derived events (see :mod:`hub.core.processing`)."""
        result = AppendResult()
        now = utcnow()
        rows = [_event_row(e, now, (depths or {}).get(e.id)) for e in batch]
        if rows:
            self._serialise_appends(conn)
        inserted_ids: dict[str, int] = {}
        if rows:
            stmt = self._insert_ignore(events).returning(events.c.seq, events.c.id)
            for seq, event_id in conn.execute(stmt, rows):
                inserted_ids[event_id] = seq
        delivery_rows: list[dict[str, Any]] = []
        for envelope in batch:
            seq = inserted_ids.pop(envelope.id, None)
            if seq is None:
                result.duplicates.append(envelope)
                continue
            result.inserted.append((seq, envelope))
            for route in self.router(envelope):
                delivery_rows.append({
                    "subscriber": route.subscriber, "seq": seq, "subject": envelope.subject,
                    "status": S.PENDING if route.allowed else S.DENIED, "attempts": 0, "updated_at": now,
                })
        if result.duplicates:
            result.duplicates, result.conflicts = self._split_conflicts(conn, result.duplicates)
        if result.inserted:
            conn.execute(outbox.insert(), [{"seq": seq} for seq, _ in result.inserted])
        if delivery_rows:
            conn.execute(deliveries.insert(), delivery_rows)
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

    def _insert_ignore(self, table):
        if self.engine.dialect.name == "postgresql":
            return postgresql.insert(table).on_conflict_do_nothing()
        return sqlite.insert(table).on_conflict_do_nothing()

    def _upsert_snapshots(self, conn: Connection, seen: Sequence[tuple[str, str, str]], now: datetime) -> None:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        stmt = dialect.insert(snapshots)
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

    # --- outbox -----------------------------------------------------------------------------------------------
    def unpublished(self, limit: int) -> list[tuple[int, str, str]]:
        """(seq, type, body) of journaled events not yet confirmed by the broker, oldest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(events.c.seq, events.c.type, events.c.body)
                                .join(outbox, outbox.c.seq == events.c.seq)
                                .order_by(outbox.c.seq).limit(limit))
            return [tuple(r) for r in rows]

    @contextmanager
    def unpublished_batch(self, limit: int) -> Iterator[list[tuple[int, str, str]]]:
        """A batch of the outbox, removed from it when the block exits normally (the broker confirmed it).

        On PostgreSQL the rows are locked with SKIP LOCKED for the duration, so several hub processes relay
        disjoint batches instead of all publishing the same events; a relay that dies releases its rows with its
        connection. If the block raises, the rows stay for the next attempt."""
        if self.engine.dialect.name != "postgresql":
            rows = self.unpublished(limit)
            yield rows
            self.mark_published([seq for seq, _t, _b in rows])
            return
        with self.engine.begin() as conn:
            seqs = [seq for (seq,) in conn.execute(select(outbox.c.seq).order_by(outbox.c.seq).limit(limit)
                                                   .with_for_update(skip_locked=True))]
            rows: list[tuple[int, str, str]] = []
            if seqs:
                rows = [tuple(r) for r in conn.execute(select(events.c.seq, events.c.type, events.c.body)
                                                       .where(events.c.seq.in_(seqs)).order_by(events.c.seq))]
            yield rows
            if seqs:
                conn.execute(delete(outbox).where(outbox.c.seq.in_(seqs)))

    def mark_published(self, seqs: Sequence[int]) -> None:
        if seqs:
            with self.engine.begin() as conn:
                conn.execute(delete(outbox).where(outbox.c.seq.in_(list(seqs))))

    def outbox_size(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(outbox)).scalar_one()

    # --- deliveries -------------------------------------------------------------------------------------------
    def claim(self, subscriber: str, seqs: Sequence[int], claimed_by: str | None = None) -> list[ClaimedDelivery]:
        """Take the deliveries of these events for one subscriber, in one statement.

        A delivery is taken only if it is due (pending, or retrying and due) **and no earlier event about the same
        demand is unsettled** for this subscriber: that is what keeps a decision from reaching a partner before the
        registration it refers to, across any number of workers. Rows not taken stay as they are; whoever settles
        their predecessor picks them up (see ``successors``). A claim counts as an attempt, so that a message
        whose delivery kills the worker process is dead-lettered after ``max_attempts`` (``expire_leases``)
        instead of killing every process that takes it. A row claimed by a worker that vanished is not taken here:
        ``expire_leases`` gives it back once its lease ran out.
        """
        if not seqs:
            return []
        now = utcnow()
        d2 = deliveries.alias("earlier")
        blocked = exists().where(and_(
            d2.c.subscriber == deliveries.c.subscriber, d2.c.subject == deliveries.c.subject,
            d2.c.seq < deliveries.c.seq, d2.c.status.notin_(S.SETTLED)))
        due = or_(deliveries.c.status == S.PENDING,
                  and_(deliveries.c.status == S.RETRYING,
                       or_(deliveries.c.next_attempt_at.is_(None), deliveries.c.next_attempt_at <= now)))
        stmt = (update(deliveries)
                .where(deliveries.c.subscriber == subscriber, deliveries.c.seq.in_(list(seqs)), due, ~blocked)
                .values(status=S.DELIVERING, claimed_at=now, claimed_by=claimed_by, updated_at=now,
                        next_attempt_at=None, attempts=deliveries.c.attempts + 1)
                .returning(deliveries.c.seq, deliveries.c.attempts, deliveries.c.last_error, deliveries.c.subject))
        with self.engine.begin() as conn:
            claimed = {seq: (attempts, subject, _attempt_list(err))
                       for seq, attempts, err, subject in conn.execute(stmt)}
            if not claimed:
                return []
            rows = conn.execute(select(events.c.seq, events.c.body, events.c.type, events.c.recorded_at)
                                .where(events.c.seq.in_(list(claimed))).order_by(events.c.seq))
            return [ClaimedDelivery(seq, claimed[seq][0], body, etype, *claimed[seq][1:], as_utc(recorded), now)
                    for seq, body, etype, recorded in rows]

    def complete(self, subscriber: str, outcomes: Sequence[DeliveryOutcome],
                 claimed_at: datetime | None = None) -> list[int]:
        """Record a batch of delivery outcomes in one transaction; dead ones also land in the dead-letter store.

        With ``claimed_at`` (the claim's token) an outcome is recorded only if the claim still holds: a worker
        that was cut off past its lease, and whose deliveries were taken back, does not overwrite what happened
        since. Returns the seqs whose claim was lost (not recorded)."""
        if not outcomes:
            return []
        with self.engine.begin() as conn:
            return self.complete_in(conn, subscriber, outcomes, claimed_at)

    def complete_in(self, conn: Connection, subscriber: str, outcomes: Sequence[DeliveryOutcome],
                    claimed_at: datetime | None = None) -> list[int]:
        """``complete`` inside the caller's transaction (see ``append_in``)."""
        now = utcnow()
        held = [deliveries.c.status == S.DELIVERING, deliveries.c.claimed_at == claimed_at] if claimed_at else []
        groups: dict[tuple[str, bool], list[DeliveryOutcome]] = {}
        for o in outcomes:
            groups.setdefault((o.status, o.attempted), []).append(o)
        recorded: set[int] = set()
        for (status, attempted), group in groups.items():
            attempts = deliveries.c.attempts if attempted else deliveries.c.attempts - 1
            if status in S.SETTLED and status != S.UNRENDERABLE:
                res = conn.execute(update(deliveries)
                                   .where(deliveries.c.subscriber == subscriber,
                                          deliveries.c.seq.in_([o.seq for o in group]), *held)
                                   .values(status=status, attempts=attempts, claimed_at=None,
                                           next_attempt_at=None, updated_at=now)
                                   .returning(deliveries.c.seq))
                recorded.update(seq for (seq,) in res)
                continue
            for o in group:   # failures are few: one statement each, to know which were recorded
                res = conn.execute(update(deliveries)
                                   .where(deliveries.c.subscriber == subscriber, deliveries.c.seq == o.seq,
                                          *held)
                                   .values(status=status, attempts=attempts, claimed_at=None,
                                           next_attempt_at=o.next_attempt_at,
                                           last_error=func.coalesce(o.error, deliveries.c.last_error),
                                           updated_at=now))
                if not res.rowcount:
                    continue
                recorded.add(o.seq)
                if status in (S.DEAD, S.UNRENDERABLE):
                    self._add_outbound_dead_letter(conn, subscriber, o.seq, o.event_type, o.error, now)
        return [o.seq for o in outcomes if o.seq not in recorded]

    def _add_outbound_dead_letter(self, conn: Connection, subscriber: str, seq: int, event_type: str | None,
                                  error: str | None, now: datetime) -> None:
        conn.execute(dead_letters.insert().values(
            direction="outbound", connector=subscriber, event_type=event_type, event_seq=seq,
            reason=_last_reason(error), attempts=error, status="open", created_at=now, updated_at=now))

    def successors(self, subscriber: str, subjects: Iterable[str]) -> list[int]:
        """The next open delivery of each of these demands, now that a predecessor settled.

        One per demand — only the earliest open event of a demand can be claimed — and every demand: their bus
        messages were consumed while the predecessor held them back, so this is their only way forward."""
        subjects = [s for s in set(subjects) if s]
        if not subjects:
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(select(func.min(deliveries.c.seq))
                                .where(deliveries.c.subscriber == subscriber, deliveries.c.subject.in_(subjects),
                                       deliveries.c.status.in_((S.PENDING, S.RETRYING)))
                                .group_by(deliveries.c.subject))
            return sorted(r[0] for r in rows)

    # --- re-dispatching: what the bus no longer carries -----------------------------------------------------------
    def take_due(self, subscriber: str, *, retry_grace: float = 0.0, limit: int = 1000) -> list[int]:
        """Deliveries that need a bus message now, marked as dispatched in the same statement (several sweepers
        never take the same row): pending rows flagged by a recovery, an operator or a replay, and retries that are
        due — ``retry_grace`` seconds late, on a broker whose delay queues bring retries back themselves."""
        now = utcnow()
        d2 = deliveries.alias("cand")

        def due(t):
            return and_(t.c.subscriber == subscriber,
                        or_(and_(t.c.status == S.PENDING, t.c.next_attempt_at <= now),
                            and_(t.c.status == S.RETRYING,
                                 t.c.next_attempt_at <= now - timedelta(seconds=retry_grace))))
        pick = select(d2.c.seq).where(due(d2)).order_by(d2.c.seq).limit(limit)
        stmt = (update(deliveries).where(deliveries.c.subscriber == subscriber, deliveries.c.seq.in_(pick),
                                         due(deliveries))
                .values(next_attempt_at=None, updated_at=now).returning(deliveries.c.seq))
        with self.engine.begin() as conn:
            return sorted(seq for (seq,) in conn.execute(stmt))

    def take_stale(self, subscriber: str, *, stale_before: datetime, limit: int = 1000) -> list[int]:
        """Safety net: open deliveries believed to be on the bus but untouched since ``stale_before`` (a message
        an operator purged, a successor whose predecessor's worker died between recording and following up).
        Touched in the same statement, so they are taken once per period."""
        now = utcnow()
        d2 = deliveries.alias("cand")

        def stale(t):
            return and_(t.c.subscriber == subscriber, t.c.status.in_((S.PENDING, S.RETRYING)),
                        t.c.next_attempt_at.is_(None), t.c.updated_at <= stale_before)
        pick = select(d2.c.seq).where(stale(d2)).order_by(d2.c.seq).limit(limit)
        stmt = (update(deliveries).where(deliveries.c.subscriber == subscriber, deliveries.c.seq.in_(pick),
                                         stale(deliveries))
                .values(updated_at=now).returning(deliveries.c.seq))
        with self.engine.begin() as conn:
            return sorted(seq for (seq,) in conn.execute(stmt))

    def flag_undispatched(self, subscriber: str) -> int:
        """After a restart of the in-process transport (which kept nothing): every open delivery believed to be on
        the bus needs dispatching again."""
        with self.engine.begin() as conn:
            return conn.execute(update(deliveries)
                                .where(deliveries.c.subscriber == subscriber,
                                       deliveries.c.status.in_((S.PENDING, S.RETRYING)),
                                       deliveries.c.next_attempt_at.is_(None),
                                       ~exists().where(outbox.c.seq == deliveries.c.seq))   # the relay sends those
                                .values(next_attempt_at=utcnow())).rowcount

    def flag_for_dispatch(self, subscriber: str, seqs: Sequence[int]) -> int:
        """These open deliveries lost their bus message (e.g. the broker dead-lettered it): dispatch them again."""
        if not seqs:
            return 0
        with self.engine.begin() as conn:
            return conn.execute(update(deliveries)
                                .where(deliveries.c.subscriber == subscriber, deliveries.c.seq.in_(list(seqs)),
                                       deliveries.c.status.in_((S.PENDING, S.RETRYING)))
                                .values(next_attempt_at=utcnow())).rowcount

    def expire_leases(self, subscriber: str, *, lease: float, max_attempts: int,
                      dead_instances: Any = None) -> LeaseExpiry:
        """Deliveries claimed more than ``lease`` seconds ago by a worker that never recorded an outcome (its
        process died), or claimed by an instance known dead (``dead_instances``: a select of instance ids, see
        :mod:`hub.core.instances`): due again, or — after ``max_attempts`` claims — dead, with the reason, since the
        message itself may be what kills its workers."""
        now = utcnow()
        expiry = LeaseExpiry()
        expired = deliveries.c.claimed_at < now - timedelta(seconds=lease)
        if dead_instances is not None:
            expired = or_(expired, deliveries.c.claimed_by.in_(dead_instances))
        with self.engine.begin() as conn:
            rows = conn.execute(select(deliveries.c.seq, deliveries.c.attempts, deliveries.c.last_error,
                                       deliveries.c.claimed_at, events.c.type)
                                .join(events, events.c.seq == deliveries.c.seq)
                                .where(deliveries.c.subscriber == subscriber, deliveries.c.status == S.DELIVERING,
                                       expired)).all()
            for seq, attempts, last_error, claimed_at, etype in rows:
                mine = and_(deliveries.c.subscriber == subscriber, deliveries.c.seq == seq,
                            deliveries.c.status == S.DELIVERING, deliveries.c.claimed_at == claimed_at)
                error = json.dumps(list(_attempt_list(last_error)) + [{
                    "at": now.isoformat(), "kind": WORKER_LOST,
                    "error": f"the hub process delivering it stopped without recording an outcome (attempt "
                             f"{attempts}); if this repeats, the message may be what crashes it"}])
                if attempts < max_attempts:
                    if conn.execute(update(deliveries).where(mine).values(
                            status=S.PENDING, claimed_at=None, next_attempt_at=now, last_error=error,
                            updated_at=now)).rowcount:
                        expiry.released.append(seq)
                    continue
                if conn.execute(update(deliveries).where(mine).values(
                        status=S.DEAD, claimed_at=None, last_error=error, updated_at=now)).rowcount:
                    self._add_outbound_dead_letter(conn, subscriber, seq, etype, error, now)
                    expiry.dead.append(seq)
        return expiry

    def bodies(self, seqs: Sequence[int]) -> list[tuple[int, str, str]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(events.c.seq, events.c.type, events.c.body)
                                .where(events.c.seq.in_(list(seqs))).order_by(events.c.seq))
            return [tuple(r) for r in rows]

    # --- where events are ---------------------------------------------------------------------------------------
    def backlog(self, subscriber: str) -> Backlog:
        """What is left for ``subscriber`` (see :class:`Backlog`), e.g. to tell whether ``relais run --once``
        finished its work."""
        now = utcnow()
        earlier = deliveries.alias("earlier")
        held = exists().where(and_(earlier.c.subscriber == deliveries.c.subscriber,
                                   earlier.c.subject == deliveries.c.subject, earlier.c.seq < deliveries.c.seq,
                                   earlier.c.status == S.DEAD))
        later = and_(deliveries.c.status == S.RETRYING, deliveries.c.next_attempt_at > now)
        stmt = (select(func.coalesce(func.sum(case((held, 1), else_=0)), 0),
                       func.coalesce(func.sum(case((and_(~held, later), 1), else_=0)), 0), func.count())
                .where(deliveries.c.subscriber == subscriber,
                       deliveries.c.status.in_((S.PENDING, S.RETRYING, S.DELIVERING))))
        with self.engine.connect() as conn:
            n_held, n_later, n_open = conn.execute(stmt).one()
        return Backlog(due=int(n_open) - int(n_held) - int(n_later), held=int(n_held), later=int(n_later))

    def delivery_counts(self, subscriber: str | None = None,
                        statuses: Sequence[str] | None = None) -> dict[tuple[str, str], int]:
        """(subscriber, status) → count: where every event is, for operators and metrics."""
        stmt = select(deliveries.c.subscriber, deliveries.c.status, func.count()).group_by(
            deliveries.c.subscriber, deliveries.c.status)
        if subscriber:
            stmt = stmt.where(deliveries.c.subscriber == subscriber)
        if statuses is not None:
            stmt = stmt.where(deliveries.c.status.in_(list(statuses)))
        with self.engine.connect() as conn:
            return {(s, st): n for s, st, n in conn.execute(stmt)}

    def delivery_states(self, seq: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(deliveries).where(deliveries.c.seq == seq).order_by(deliveries.c.subscriber))
            return [{**r._mapping, "last_error": list(_attempt_list(r.last_error)),
                     **{k: as_utc(getattr(r, k)) for k in ("next_attempt_at", "claimed_at", "updated_at")}}
                    for r in rows]

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
                "deliveries": self.delivery_states(row.seq)}

    # --- operator actions ---------------------------------------------------------------------------------------
    def requeue(self, subscriber: str, seqs: Sequence[int]) -> int:
        """Make these deliveries pending again with a fresh retry budget (operator retry); a running hub
        dispatches them at its next sweep."""
        if not seqs:
            return 0
        now = utcnow()
        with self.engine.begin() as conn:
            res = conn.execute(update(deliveries)
                               .where(deliveries.c.subscriber == subscriber, deliveries.c.seq.in_(list(seqs)))
                               .values(status=S.PENDING, attempts=0, next_attempt_at=now, claimed_at=None,
                                       last_error=None, updated_at=now))
            return res.rowcount

    def set_status(self, subscriber: str, seqs: Sequence[int], status: str) -> None:
        """Force a state (operator discard). Settling a delivery frees the later events of its demand, whose bus
        messages were consumed while it blocked them: they are flagged for dispatch."""
        if not seqs:
            return
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(update(deliveries)
                         .where(deliveries.c.subscriber == subscriber, deliveries.c.seq.in_(list(seqs)))
                         .values(status=status, claimed_at=None, next_attempt_at=None, updated_at=now))
            if status in S.SETTLED:
                subjects = [s for (s,) in conn.execute(
                    select(deliveries.c.subject).distinct().where(
                        deliveries.c.subscriber == subscriber, deliveries.c.seq.in_(list(seqs)),
                        deliveries.c.subject.is_not(None)))]
                if subjects:
                    conn.execute(update(deliveries)
                                 .where(deliveries.c.subscriber == subscriber, deliveries.c.subject.in_(subjects),
                                        deliveries.c.status.in_((S.PENDING, S.RETRYING)),
                                        deliveries.c.next_attempt_at.is_(None))
                                 .values(next_attempt_at=now))

    def ensure_deliveries(self, subscriber: str, since: datetime, types: Callable[[str], bool],
                          allowed: Callable[[Envelope[Any]], bool], parse: Callable[[str], Envelope[Any]],
                          until: datetime | None = None) -> tuple[list[int], int]:
        """For a replay: every event since ``since`` that this subscriber takes, made pending again (rows created
        for events journaled before the subscriber existed) and flagged for dispatch; the ones the access rules
        forbid it are marked denied. Returns the queued seqs, in journal order, and how many were denied."""
        now = utcnow()
        conds = [events.c.recorded_at >= since]
        if until is not None:
            conds.append(events.c.recorded_at < until)
        out: list[int] = []
        denied = 0
        with self.engine.begin() as conn:
            existing = {seq for (seq,) in conn.execute(
                select(deliveries.c.seq).join(events, events.c.seq == deliveries.c.seq)
                .where(deliveries.c.subscriber == subscriber, *conds))}
            new_rows, reset = [], []
            for seq, etype, body, subject in conn.execute(
                    select(events.c.seq, events.c.type, events.c.body, events.c.subject)
                    .where(*conds).order_by(events.c.seq)):
                if not types(etype):
                    continue
                ok = allowed(parse(body))
                status, due = (S.PENDING, now) if ok else (S.DENIED, None)
                if seq in existing:
                    reset.append({"b_seq": seq, "b_status": status, "b_next": due})
                else:
                    new_rows.append({"subscriber": subscriber, "seq": seq, "subject": subject, "status": status,
                                     "attempts": 0, "next_attempt_at": due, "updated_at": now})
                if ok:
                    out.append(seq)
                else:
                    denied += 1
            if new_rows:
                conn.execute(deliveries.insert(), new_rows)
            if reset:
                conn.execute(update(deliveries)
                             .where(deliveries.c.subscriber == subscriber, deliveries.c.seq == bindparam("b_seq"))
                             .values(status=bindparam("b_status"), attempts=0, next_attempt_at=bindparam("b_next"),
                                     claimed_at=None, last_error=None, updated_at=now), reset)
        return out, denied

    # --- history ----------------------------------------------------------------------------------------------
    def history(self, numero_unique: str) -> list[dict[str, Any]]:
        """Every event of a demand in journal order: the legally required trace (what, when, which entity)."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(events.c.seq, events.c.id, events.c.type, events.c.time,
                                       events.c.recorded_at, events.c.source, events.c.entity_siren,
                                       events.c.entity_nom)
                                .where(events.c.subject == numero_unique).order_by(events.c.seq))
            return [{**r._mapping, "time": as_utc(r.time), "recorded_at": as_utc(r.recorded_at)} for r in rows]

    def count_events(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(events)).scalar_one()

    # --- dead letters -----------------------------------------------------------------------------------------
    def add_inbound_dead_letters(self, items: Sequence[dict[str, Any]]) -> list[int]:
        """Keep rejected inbound messages/records with the raw bytes and the reason (one transaction per batch);
        an identical input already open is counted again rather than stored again (see
        :mod:`hub.core.deadletter_store`). Returns each item's dead-letter id."""
        if not items:
            return []
        return self.inbound_dead_letters.add(items, utcnow())

    def dead_letters(self, *, status: str | None = "open", connector: str | None = None,
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

    def set_dead_letter_status(self, ids: Sequence[int], status: str) -> None:
        if ids:
            with self.engine.begin() as conn:
                conn.execute(update(dead_letters).where(dead_letters.c.id.in_(list(ids)))
                             .values(status=status, updated_at=utcnow()))


def _event_row(e: Envelope[Any], now: datetime, depth: int | None = None) -> dict[str, Any]:
    return {
        "id": e.id, "type": e.type, "source": e.source, "source_message_id": e.sourcemessageid,
        "subject": e.subject, "entity_siren": e.entity.siren, "entity_nom": e.entity.nom, "time": e.time,
        "recorded_at": now, "body": e.model_dump_json(), "depth": depth,
    }


def _comparable(envelope: dict[str, Any]) -> dict[str, Any]:
    """What makes two journaled events the same fact (see ``Journal._split_conflicts``)."""
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


def _attempt_list(text: str | None) -> tuple[dict[str, Any], ...]:
    """``last_error`` holds the JSON list of every failed attempt (time, error), so a dead letter can show them."""
    if not text:
        return ()
    try:
        value = json.loads(text)
    except ValueError:
        return ({"error": text},)
    return tuple(value) if isinstance(value, list) else ({"error": text},)


def _last_reason(error: str | None) -> str:
    attempts = _attempt_list(error)
    return str(attempts[-1].get("error", "?")) if attempts else "?"


def _private_sqlite_files(url: str) -> None:
    """The embedded journal holds nominative data: create it (and its WAL and shared-memory files, which SQLite
    creates with the database file's mode) owner-only, and tighten a journal an older release created 0644."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            private_file(companion)


def _make_engine(url: str, *, connect_timeout: float, statement_timeout: float) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_files(url)
        engine = create_engine(url, connect_args={"timeout": 60, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: readers never block the writer; FULL sync: a commit survives a crash
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=60000")
            cur.close()
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    # Why both timeouts: a journal that accepts TCP and never answers must not hang a start or a request for
    # minutes (connect), and a statement stuck behind a lock must fail and be retried rather than hold a worker
    # forever (statement_timeout, set per connection so the URL's own options — a search_path — are kept).
    engine = create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10, pool_timeout=connect_timeout,
                           connect_args={"connect_timeout": max(1, round(connect_timeout))})
    statement_ms = max(1, round(statement_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _timeouts(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute(f"SET statement_timeout = {statement_ms}")
        cur.close()
        dbapi_conn.commit()
    return engine
