"""The deliveries store (table ``deliveries``): one row per (subscriber, event), the durable state of each partner's
delivery — claimed by workers, completed with an outcome, re-dispatched when the bus no longer carries it, taken back
when its worker vanished, reopened or settled by an operator.

Why one store owns every write to this table: the ordering rule (an event of a demand is not claimed while an
earlier one is unsettled for the same subscriber) and the claim token (an outcome is recorded only while the claim
holds) are kept by these statements together; a write elsewhere would bypass them. Dead and unrenderable deliveries
get their dead letter in the same transaction, through :class:`~hub.core.stores.dead_letters.DeadLetterStore`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import and_, bindparam, case, exists, func, or_, select, update
from sqlalchemy.engine import Connection, Dialect, Engine

from contracts import Envelope
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import UtcDateTime, deliveries, events, outbox
from hub.core.stores.common import among_key, among_value, as_utc, attempt_list, utcnow
from hub.core.stores.dead_letters import DeadLetterStore
from hub.core.stores.rows import RowInsert

__all__ = ["DeliveryStore", "ClaimedDelivery", "DeliveryOutcome", "Backlog", "LeaseExpiry", "WORKER_LOST"]

#: The ``kind`` of the attempt entry written when a claim's lease ran out: its worker died while delivering.
WORKER_LOST = "WorkerLost"


class ClaimedDelivery(NamedTuple):
    """One delivery a worker claimed, with its event's journaled body.

    A named tuple, not a frozen dataclass: as immutable, and built ~7 × faster (a frozen dataclass sets each field
    through ``object.__setattr__``) — a claim makes one per event and subscriber (py-spy: ~5 % of a worker's
    samples), and so does the outcome below."""

    seq: int
    attempts: int                              # this attempt's number (claims are counted, see ``claim``)
    body: str
    type: str
    subject: str | None = None
    errors: tuple[dict[str, Any], ...] = ()   # earlier attempts' errors, oldest first
    recorded_at: datetime | None = None        # when the event was journaled (delivery latency)
    claimed_at: datetime | None = None         # the claim's token: its outcome is recorded only while it holds
    depth: int = 0                             # the event's causation depth (0: from a partner; processors)


class DeliveryOutcome(NamedTuple):
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


class DeliveryStore:
    def __init__(self, engine: Engine, dead_letters: DeadLetterStore):
        self.engine = engine
        self.dead_letters = dead_letters
        self._insert = RowInsert(engine.dialect, deliveries,
                                 ("subscriber", "seq", "subject", "status", "attempts", "updated_at"),
                                 preconverted=("updated_at",))
        self._claim, self._claimed_events = _claim_statements(engine.dialect)
        self._settle = {(attempted, held): _settle_statement(engine.dialect, attempted, held)
                        for attempted in (True, False) for held in (True, False)}
        self._successors = _successors_statement(engine.dialect)

    def add_in(self, conn: Connection, rows: Sequence[tuple[str, int, str | None, str]], now: datetime) -> None:
        """Inside the append's transaction: the delivery rows (subscriber, seq, subject, status) of newly journaled
        events, none attempted yet, updated ``now`` (see :meth:`hub.core.stores.events.EventStore.append_in`)."""
        if rows:
            updated_at = self._insert.convert("updated_at", now)
            self._insert.many(conn, [(subscriber, seq, subject, status, 0, updated_at)
                                     for subscriber, seq, subject, status in rows])

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
        with self.engine.begin() as conn:
            return self.claim_in(conn, subscriber, seqs, claimed_by)

    def claim_in(self, conn: Connection, subscriber: str, seqs: Sequence[int],
                 claimed_by: str | None = None) -> list[ClaimedDelivery]:
        """``claim`` inside the caller's transaction: a processor takes its batch in the transaction that commits
        what it derived (:mod:`hub.core.processor_worker`), so the claim and its outcome are one commit."""
        if not seqs:
            return []
        now = utcnow()
        params = {"b_subscriber": subscriber, "b_seqs": among_value(seqs, self.engine.dialect), "b_now": now,
                  "b_claimed_by": claimed_by}
        if self._claimed_events is None:   # PostgreSQL: the events' columns come back with the claim
            return [ClaimedDelivery(seq, attempts, body, etype, subject, attempt_list(err), as_utc(recorded), now,
                                    depth or 0)
                    for seq, attempts, err, subject, body, etype, recorded, depth
                    in sorted(conn.execute(self._claim, params), key=lambda r: r[0])]
        claimed = {seq: (attempts, subject, attempt_list(err))
                   for seq, attempts, err, subject in conn.execute(self._claim, params)}
        if not claimed:
            return []
        rows = conn.execute(self._claimed_events, {"b_seqs": among_value(claimed, self.engine.dialect)})
        return [ClaimedDelivery(seq, claimed[seq][0], body, etype, *claimed[seq][1:], as_utc(recorded), now,
                                depth or 0)
                for seq, body, etype, recorded, depth in rows]

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
                res = conn.execute(self._settle[attempted, claimed_at is not None], {
                    "b_subscriber": subscriber, "b_seqs": among_value([o.seq for o in group], self.engine.dialect),
                    "b_status": status, "b_now": now, "b_claimed_at": claimed_at})
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
                    self.dead_letters.add_outbound_in(conn, subscriber, o.seq, o.event_type, o.error, now)
        return [o.seq for o in outcomes if o.seq not in recorded]

    def successors(self, subscriber: str, subjects: Iterable[str]) -> list[int]:
        """The next open delivery of each of these demands, now that a predecessor settled.

        One per demand — only the earliest open event of a demand can be claimed — and every demand: their bus
        messages were consumed while the predecessor held them back, so this is their only way forward."""
        subjects = [s for s in set(subjects) if s]
        if not subjects:
            return []
        with self.engine.connect() as conn:
            return self.successors_in(conn, subscriber, subjects)

    def successors_in(self, conn: Connection, subscriber: str, subjects: Iterable[str]) -> list[int]:
        """``successors`` inside the caller's transaction (a processor's, after ``complete_in``)."""
        subjects = [s for s in set(subjects) if s]
        if not subjects:
            return []
        rows = conn.execute(self._successors, {"b_subscriber": subscriber,
                                               "b_subjects": among_value(subjects, self.engine.dialect)})
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
                error = json.dumps(list(attempt_list(last_error)) + [{
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
                    self.dead_letters.add_outbound_in(conn, subscriber, seq, etype, error, now)
                    expiry.dead.append(seq)
        return expiry

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

    def counts(self, subscriber: str | None = None,
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

    def states(self, seq: int) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(deliveries).where(deliveries.c.seq == seq).order_by(deliveries.c.subscriber))
            return [{**r._mapping, "last_error": list(attempt_list(r.last_error)),
                     **{k: as_utc(getattr(r, k)) for k in ("next_attempt_at", "claimed_at", "updated_at")}}
                    for r in rows]

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

    # --- partners that pull (the gateway's GET /v1/partners/me/events) ------------------------------------------
    def pull_pending(self, subscriber: str, *, after: int = 0, limit: int = 100) -> list[tuple[int, str, str]]:
        """A pull partner's pending deliveries after ``after`` (a seq), in journal order: (seq, event id, body).
        Nothing is changed: until acknowledged, the same events come back (at-least-once)."""
        stmt = (select(deliveries.c.seq, events.c.id, events.c.body)
                .join(events, events.c.seq == deliveries.c.seq)
                .where(deliveries.c.subscriber == subscriber, deliveries.c.seq > after,
                       deliveries.c.status.in_((S.PENDING, S.RETRYING)))
                .order_by(deliveries.c.seq).limit(limit))
        with self.engine.connect() as conn:
            return [(seq, event_id, body) for seq, event_id, body in conn.execute(stmt)]

    def mark_served(self, subscriber: str, seqs: Sequence[int]) -> None:
        """Stamp the pending rows a GET returned (``claimed_at``: a pull row has no worker, so no claim) — what an
        acknowledgement by cursor may settle. Any reset (replay, operator retry) clears the stamp."""
        if not seqs:
            return
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(update(deliveries).where(
                deliveries.c.subscriber == subscriber, deliveries.c.seq.in_(list(seqs)),
                deliveries.c.status.in_((S.PENDING, S.RETRYING))).values(claimed_at=now))

    def acknowledge_pulled(self, subscriber: str, *, up_to: int | None = None,
                           event_ids: Sequence[str] = ()) -> int:
        """Mark a pull partner's pending deliveries delivered: every one served up to the seq ``up_to``, and those of
        ``event_ids``. Idempotent: what is already settled is left as it is (the count says how many changed)."""
        if up_to is None and not event_ids:
            return 0
        chosen = []
        if up_to is not None:
            # only what a GET served (stamped by ``mark_served``): a row that became visible, or was reset by a replay
            # or a retry, below a cursor already handed out was never seen by the partner and must come back
            chosen.append((deliveries.c.seq <= up_to) & deliveries.c.claimed_at.isnot(None))
        if event_ids:
            chosen.append(deliveries.c.seq.in_(select(events.c.seq).where(events.c.id.in_(list(event_ids)))))
        now = utcnow()
        with self.engine.begin() as conn:
            return conn.execute(update(deliveries)
                                .where(deliveries.c.subscriber == subscriber,
                                       deliveries.c.status.in_((S.PENDING, S.RETRYING)), or_(*chosen))
                                .values(status=S.DELIVERED, attempts=deliveries.c.attempts + 1, claimed_at=None,
                                        next_attempt_at=None, updated_at=now)).rowcount

    # --- a processor's worker that read its batch before claiming it (hub.core.processor_worker) ----------------
    def claim_rows_in(self, conn: Connection, subscriber: str, seqs: Sequence[int],
                      claimed_by: str | None = None) -> tuple[datetime, list[tuple[int, int, tuple[dict[str, Any], ...],
                                                                             str | None]]]:
        """``claim_in`` without reading the events back: the claim's token and, per delivery taken, (seq, attempt,
        earlier errors, subject), in seq order. For a worker that already read what it needs of the events (and
        handled them) before its transaction: the claim is the same statement, only its second read is spared."""
        now = utcnow()
        if not seqs:
            return now, []
        params = {"b_subscriber": subscriber, "b_seqs": among_value(seqs, self.engine.dialect), "b_now": now,
                  "b_claimed_by": claimed_by}
        return now, sorted((r[0], r[1], attempt_list(r[2]), r[3]) for r in conn.execute(self._claim, params))


def _settle_statement(dialect: Dialect, attempted: bool, held: bool) -> Any:
    """The record of a group of settled outcomes (see ``DeliveryStore.complete_in``), built once per kind: ``attempted``
    (a given-back claim does not count its attempt), ``held`` (recorded only while the claim ``b_claimed_at`` holds).

    Why built once: a statement built per batch left its pieces (the seqs' ``ARRAY`` type and its comparator, bound
    parameters, labels) as cyclic garbage, ~4 objects per event at 1,000 events/s; the young collection that freed
    them every ~6 s took 22 ms, in the way of every event then in flight (bench/README.md, "Fifth round")."""
    now = bindparam("b_now", type_=UtcDateTime())
    where = [deliveries.c.subscriber == bindparam("b_subscriber"), among_key(deliveries.c.seq, "b_seqs", dialect)]
    if held:
        where += [deliveries.c.status == S.DELIVERING,
                  deliveries.c.claimed_at == bindparam("b_claimed_at", type_=UtcDateTime())]
    return (update(deliveries).where(*where)
            .values(status=bindparam("b_status"),
                    attempts=deliveries.c.attempts if attempted else deliveries.c.attempts - 1,
                    claimed_at=None, next_attempt_at=None, updated_at=now)
            .returning(deliveries.c.seq))


def _successors_statement(dialect: Dialect) -> Any:
    """The earliest open delivery of each demand of ``b_subjects`` (see ``DeliveryStore.successors``), built once
    for the same reason as ``_settle_statement``."""
    return (select(func.min(deliveries.c.seq))
            .where(deliveries.c.subscriber == bindparam("b_subscriber"),
                   among_key(deliveries.c.subject, "b_subjects", dialect),
                   deliveries.c.status.in_((S.PENDING, S.RETRYING)))
            .group_by(deliveries.c.subject))


def claimable_conditions(now: Any) -> tuple[Any, Any]:
    """What the claim takes (``DeliveryStore.claim``): a delivery due now (pending, or retrying and due at ``now``,
    the statement's ``b_now``), and "blocked" — an earlier event of the same demand still unsettled for the
    subscriber (the claim takes ``~blocked``). One definition for the claim and for what a processor's worker reads
    before claiming (:mod:`hub.core.processor_worker`)."""
    earlier = deliveries.alias("earlier")
    blocked = exists().where(and_(
        earlier.c.subscriber == deliveries.c.subscriber, earlier.c.subject == deliveries.c.subject,
        earlier.c.seq < deliveries.c.seq, earlier.c.status.notin_(S.SETTLED)))
    due = or_(deliveries.c.status == S.PENDING,
              and_(deliveries.c.status == S.RETRYING,
                   or_(deliveries.c.next_attempt_at.is_(None), deliveries.c.next_attempt_at <= now)))
    return due, blocked


def _claim_statements(dialect: Dialect) -> tuple[Any, Any | None]:
    """The claim (see ``DeliveryStore.claim``) and the read of what it took, built once: building them per batch
    cost more than running them (py-spy). On PostgreSQL one statement does both, ``UPDATE … FROM events`` returning
    the events' columns (SQLite returns only the updated table's): one round trip less on every event's way."""
    now = bindparam("b_now", type_=UtcDateTime())
    due, blocked = claimable_conditions(now)
    claim = (update(deliveries)
             .where(deliveries.c.subscriber == bindparam("b_subscriber"),
                    among_key(deliveries.c.seq, "b_seqs", dialect), due, ~blocked)
             .values(status=S.DELIVERING, claimed_at=now, claimed_by=bindparam("b_claimed_by"), updated_at=now,
                     next_attempt_at=None, attempts=deliveries.c.attempts + 1)
             .returning(deliveries.c.seq, deliveries.c.attempts, deliveries.c.last_error, deliveries.c.subject))
    if dialect.name == "postgresql":
        return claim.where(events.c.seq == deliveries.c.seq).returning(
            events.c.body, events.c.type, events.c.recorded_at, events.c.depth), None
    claimed_events = (select(events.c.seq, events.c.body, events.c.type, events.c.recorded_at, events.c.depth)
                      .where(among_key(events.c.seq, "b_seqs", dialect)).order_by(events.c.seq))
    return claim, claimed_events
