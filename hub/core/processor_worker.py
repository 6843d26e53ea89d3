"""Running processors: their deliveries and their timers, each outcome committed with what it derived.

A processor's worker is a delivery worker (same queue, claims, per-demand order, retries, dead letters); only the
step "hand the event to the partner, then record the outcome" differs: the processor's handling of the whole
claimed batch, its projection writes, the timers it set, the events it derived and the delivered outcomes go in
**one** transaction (group commit). If the processor raises on one event, that transaction is rolled back, the
event's failure is recorded alone (retry with backoff, or the dead letters), and the rest of the batch is handled
again without it — processors must therefore be deterministic for a given input and clock.

Why the claim is taken inside that transaction too (one commit per batch instead of two, and no check that the
claim still holds: nobody can take back a claim that was never committed): a processor's claim need not outlive
its transaction — if the process dies, the rollback leaves the rows pending, with nothing to lease. The one thing a
committed claim buys is the count of attempts that killed their process (a message that crashes every process
that takes it ends in the dead letters after ``max_attempts``, see ``DeliveryStore.claim``). So what *may* have
been in the hands of a process that died goes the careful way, claim committed first: every delivery journaled
before this process started (the embedded bus forgets everything at a crash: the sweep brings it back), every
message the broker redelivers (RabbitMQ: its consumer went away before acknowledging it), and every claim whose
worker was lost (suspects, taken one at a time by :class:`~hub.core.delivery.DeliveryWorker`). An event that kills
the process in the one-transaction path is therefore taken the careful way by the next process, and counted.

Handled before the claim (SQLite): one writer at a time gets into a SQLite journal (``sqlite_gate``), and the
batch's transaction held that turn through the claim, the events' read, the handling and the outcomes while the
ingest's commits waited. So the worker first *reads* what the claim would take (no write, no turn taken) and hands
it to the processor outside any transaction (:class:`~hub.core.processing.DetachedContext`: writes deferred,
timers and derived events collected); then, in the transaction, it claims, and if the claim took only what was
handled, records exactly what that handling produced. Anything else — the processor touched ``ctx.conn`` (its
handling may depend on what the transaction would read), raised, or the claim took an event not handled (or a
suspect) — throws the early handling away and the batch goes the way above, inside the transaction. A handling
that read nothing depends only on the event, the clock and the processor: the same whenever it runs. A processor
that reads is tried again only every ``DETACHED_RETRY`` batches. The early handling takes the processor's turn
(``ProjectionManager.turn``), as its timers' firing does: ``process`` and ``on_timer`` still never run at once.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, NamedTuple

import structlog
from sqlalchemy import bindparam, func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import OperationalError

from contracts import Envelope
from hub.core import metrics
from hub.core.bus import QueueReader, message_seqs
from hub.core.config import RetrySettings
from hub.core.delivery import CHAIN_ROUNDS, DeliveryWorker, StepResult, _give_back, _suspect
from hub.core.errors import RejectError, RetryableError
from hub.core.faults import failpoint
from hub.core.journal import WORKER_LOST, ClaimedDelivery, DeliveryOutcome, Journal, utcnow
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import UtcDateTime, deliveries, events
from hub.core.journaled import parse_journaled
from hub.core.processing import (
    DeferredWrites, DeferredWritesFailed, DetachedContext, ProcessContext, Processor, wrap_derived,
)
from hub.core.projections import ProjectionManager
from hub.core.retention import purge_in
from hub.core.stores.common import among, among_key, among_value, attempt_list
from hub.core.stores.deliveries import claimable_conditions
from hub.core.timers import DueTimer, TimerStore, retry_at

__all__ = ["ProcessorWorker", "TimerFirer"]

log = structlog.get_logger(__name__)

#: Batches a processor's worker handles inside the transaction after the processor touched ``ctx.conn`` while
#: handled before the claim, before it tries that again (see the module docstring).
DETACHED_RETRY = 100


class _HandlingFailed(Exception):
    """One input of a batch failed; the batch's transaction was rolled back."""

    def __init__(self, index: int, seq: int, error: Exception, event: Envelope[Any] | None):
        super().__init__(str(error))
        self.index = index
        self.seq = seq
        self.error = error
        self.event = event


class _Suspects(Exception):
    """The one-transaction claim took a delivery whose worker was lost: rolled back, taken the careful way."""


class _NotAsHandled(Exception):
    """The claim took what was not handled before it (or recording that handling failed): rolled back, handled
    again inside the transaction."""


class _Handled(NamedTuple):
    """One input handled before the claim: its outcome and what it produced (its writes are
    ``writes.pending[first_write:end_write]`` of its batch)."""

    outcome: DeliveryOutcome
    first_write: int = 0
    end_write: int = 0
    schedules: list[Any] = []
    cancels: list[str] = []
    made: list[Envelope[Any]] = []
    depth: int = 0


class _Detached(NamedTuple):
    """A batch handled before its claim (see the module docstring)."""

    now: datetime
    writes: DeferredWrites
    handled: dict[int, _Handled]


def _as_failure(exc: Exception) -> Exception:
    if isinstance(exc, (RetryableError, RejectError)):
        return exc
    # an unexpected processor error: retried (bounded by max_attempts), like a connector's
    return RetryableError(f"{type(exc).__name__}: {str(exc)[:500]}")


class _RedeliveryNotingReader:
    """The worker's queue reader, noting which seqs of the last batch the broker redelivered (a consumer went
    away before acknowledging them: perhaps a process their handling killed). The in-process transport never
    sets the flag; a restart there is covered by the journal's seqs instead (see the module docstring)."""

    def __init__(self, reader: QueueReader):
        self._reader = reader
        self.redelivered: set[int] = set()

    def next_batch(self, max_size: int, wait: float) -> list[Any]:
        messages = self._reader.next_batch(max_size, wait)
        self.redelivered = {seq for m in messages if (m.delivery_info or {}).get("redelivered")
                            for seq in message_seqs(m)}
        return messages

    def __getattr__(self, name: str) -> Any:
        return getattr(self._reader, name)


class ProcessorWorker(DeliveryWorker):
    """Feeds one processor its events (see the module docstring)."""

    def __init__(self, processor: Processor, journal: Journal, *args: Any, timers: TimerStore,
                 projections: ProjectionManager, clock: Callable[[], datetime],
                 on_journaled: Callable[[], None] = lambda: None, **kwargs: Any):
        super().__init__(processor, journal, *args, **kwargs)
        self.processor = processor
        self.timers = timers
        self.projections = projections
        self.clock = clock
        self.on_journaled = on_journaled
        self.reader = _RedeliveryNotingReader(self.reader)   # type: ignore[assignment]
        # what was journaled before this process started may have been in a dead process's hands
        with journal.engine.connect() as conn:
            self._journaled_before_start = conn.execute(select(func.max(events.c.seq))).scalar() or 0
        # handled before the claim: only where one writer at a time holds the whole journal (SQLite)
        self._detaching = journal.engine.dialect.name == "sqlite"
        self._inside_for = 0   # batches still to handle inside the transaction (the processor read ``ctx.conn``)
        self._claimable, self._bodies = _read_statements(journal.engine.dialect) if self._detaching else (None, None)

    # --- one transaction per batch: claim, handle, record, follow the chain ------------------------------------
    def _deliver_seqs(self, seqs: Sequence[int], result: StepResult) -> None:
        redelivered = self.reader.redelivered   # type: ignore[attr-defined]
        careful = [s for s in seqs if s <= self._journaled_before_start or s in redelivered]
        if careful:   # claim committed first, counted as an attempt (see the module docstring)
            super()._deliver_seqs(careful, result)
            seqs = [s for s in seqs if s not in set(careful)]
        todo = list(seqs)
        for _round in range(CHAIN_ROUNDS):
            if not todo:
                return
            if self.stop.is_set():
                break
            try:
                outcomes, todo = self._handle_claiming(todo)
            except _Suspects:
                super()._deliver_seqs(todo, result)
                return
            result.delivered += sum(o.status == S.DELIVERED for o in outcomes)
            result.failed += sum(o.status in (S.RETRYING, S.DEAD, S.UNRENDERABLE) and o.attempted
                                 for o in outcomes)
        if todo:
            # stopping, or a long chain of one demand's events: their bus messages were consumed, so the sweep
            # dispatches them (nothing of them is claimed)
            self.journal.flag_for_dispatch(self.name, todo)

    def _handle_claiming(self, seqs: Sequence[int]) -> tuple[list[DeliveryOutcome], list[int]]:
        """Claim, handle and record a batch in one transaction; a failing input is taken out and its failure
        recorded alone, the rest handled again. Returns the outcomes and the next events of the settled demands."""
        todo = list(seqs)
        outcomes: list[DeliveryOutcome] = []
        freed: set[str] = set()   # demands of failures that settled (dead): their next events may go
        deferring = True
        while todo:
            try:
                done, successors = self._commit_claiming(todo, deferring)
            except DeferredWritesFailed:   # whose write failed is unknown: again, each write at once
                deferring = False
                continue
            except _HandlingFailed as failed:
                outcome, subject = self._record_failure(failed)
                if outcome is not None:
                    outcomes.append(outcome)
                    if outcome.status in S.SETTLED and subject:
                        freed.add(subject)
                todo = [s for s in todo if s != failed.seq]
                continue
            except OperationalError as exc:   # the journal went away: nothing was claimed, the messages stay in hand
                raise RetryableError(f"journal unavailable while processing: {exc.__class__.__name__}") from exc
            settled = {o.seq for o in outcomes + done if o.status in S.SETTLED}
            more = self.journal.successors(self.name, freed) if freed else []
            return outcomes + done, sorted({s for s in successors + more if s not in settled})
        more = self.journal.successors(self.name, freed) if freed else []
        return outcomes, more

    def _commit_claiming(self, seqs: Sequence[int], deferring: bool) -> tuple[list[DeliveryOutcome], list[int]]:
        if deferring and self._detaching:
            if self._inside_for:
                self._inside_for -= 1
            else:
                detached = self._handle_detached(seqs)
                if detached is not None:
                    try:
                        return self._commit_detached(seqs, detached)
                    except _NotAsHandled:
                        pass   # rolled back: handled again inside the transaction
        derived: list[Envelope[Any]] = []
        with self.journal.engine.begin() as conn:
            self.projections.lock_in(conn, self.name)
            claimed = self.journal.deliveries.claim_in(conn, self.name, seqs,
                                                       claimed_by=self.instances.id if self.instances else None)
            if not claimed:
                return [], []
            if any(_suspect(c) for c in claimed):
                raise _Suspects()
            outcomes, derived = self._handle_in(conn, claimed, deferring=deferring)
            self.journal.complete_in(conn, self.name, outcomes, claimed_at=claimed[0].claimed_at)
            settled = {o.seq for o in outcomes if o.status in S.SETTLED}
            successors = self.journal.deliveries.successors_in(
                conn, self.name, {c.subject for c in claimed if c.seq in settled and c.subject})
        self._committed(outcomes, derived)
        return outcomes, [s for s in successors if s not in settled]

    # --- handled before the claim (SQLite, see the module docstring) --------------------------------------------
    def _handle_detached(self, seqs: Sequence[int]) -> _Detached | None:
        """Read what the claim would take and hand it to the processor outside any transaction; None when the
        batch must be handled inside it (a suspect, an unparsable body, a failure, the processor read ``conn``)."""
        peek = self.fresh.peek if self.fresh is not None else (lambda _seq: None)
        dialect = self.journal.engine.dialect
        with self.journal.engine.connect() as conn:
            rows = conn.execute(self._claimable, {"b_subscriber": self.name, "b_now": utcnow(),
                                                  "b_seqs": among_value(seqs, dialect)}).all()
            if not rows:
                return None
            found = {seq: peek(seq) for seq, *_ in rows}
            missing = [seq for seq, event in found.items() if event is None]
            bodies = (dict(conn.execute(self._bodies, {"b_seqs": among_value(missing, dialect)}).all())
                      if missing else {})
        with self.projections.turn(self.name):   # never beside its timers' firing (ProjectionManager.turn)
            return self._handle_read(rows, found, bodies)

    def _handle_read(self, rows: Sequence[Any], found: dict[int, Envelope[Any] | None],
                     bodies: dict[int, str]) -> _Detached | None:
        processor = self.processor
        now = self.clock()
        writes = DeferredWrites(None)   # type: ignore[arg-type]   # given the transaction's connection later
        handled: dict[int, _Handled] = {}
        for seq, _subject, last_error, event_type, depth in rows:
            if last_error and _suspect_error(last_error):
                return None
            event = found[seq]
            try:
                if event is None:
                    event = parse_journaled(bodies[seq], event_type)
            except Exception:   # rejected inside the transaction, alone
                return None
            if not self.policy.allowed(processor, event):
                handled[seq] = _Handled(DeliveryOutcome(seq, S.DENIED, event_type=event.type, attempted=False))
                continue
            ctx = DetachedContext(processor, now, event, writes)
            first = len(writes.pending)
            depth = (depth or 0) + 1
            try:
                produced = processor.process(event, ctx)
                made = wrap_derived(ctx, produced, event.id, depth) if produced else []
                for own in made:
                    processor.applied(own, ctx)
            except Exception:   # failures are isolated inside the transaction (their attempt counted there)
                made = None
            if ctx.touched:
                self._inside_for = DETACHED_RETRY
                return None
            if made is None:
                return None
            handled[seq] = _Handled(DeliveryOutcome(seq, S.DELIVERED, event_type=event.type), first,
                                    len(writes.pending), ctx.schedules, ctx.cancels, made, depth)
        return _Detached(now, writes, handled)

    def _commit_detached(self, seqs: Sequence[int], detached: _Detached) -> tuple[list[DeliveryOutcome], list[int]]:
        """Claim and record what :meth:`_handle_detached` produced, in one transaction; raises
        :class:`_NotAsHandled` (rolled back) if the claim took an input that was not handled."""
        handled = detached.handled
        derived: list[Envelope[Any]] = []
        with self.journal.engine.begin() as conn:
            self.projections.lock_in(conn, self.name)
            token, taken = self.journal.deliveries.claim_rows_in(
                conn, self.name, seqs, claimed_by=self.instances.id if self.instances else None)
            if not taken:
                return [], []
            if any(seq not in handled for seq, *_ in taken):
                raise _NotAsHandled()
            if any(errors and errors[-1].get("kind") == WORKER_LOST for _seq, _n, errors, _subject in taken):
                raise _Suspects()
            writes = detached.writes
            writes.conn = conn
            whole = len(taken) == len(handled)
            pending = writes.pending
            if not whole:   # some inputs read were not claimed (taken meanwhile): only the others' writes
                writes.pending = [w for seq, *_ in taken for w in pending[handled[seq].first_write:
                                                                          handled[seq].end_write]]
            outcomes: list[DeliveryOutcome] = []
            depth_of: dict[str, int] = {}
            for seq, *_ in taken:
                h = handled[seq]
                outcomes.append(h.outcome)
                if h.schedules or h.cancels:
                    try:
                        self.timers.schedule_in(conn, self.name, h.schedules, h.cancels, detached.now)
                    except OperationalError:
                        raise
                    except Exception as exc:   # its failure is isolated inside the transaction
                        raise _NotAsHandled() from exc
                if h.made:
                    derived += h.made
                    depth_of.update((d.id, h.depth) for d in h.made)
            writes.flush()
            self._append_derived(conn, derived, depth_of)
            self.journal.complete_in(conn, self.name, outcomes, claimed_at=token)
            settled = {o.seq for o in outcomes if o.status in S.SETTLED}
            successors = self.journal.deliveries.successors_in(
                conn, self.name, {subject for seq, _n, _e, subject in taken if seq in settled and subject})
        if self.fresh is not None:
            self.fresh.taken(seq for seq, *_ in taken)
        self._committed(outcomes, derived)
        return outcomes, [s for s in successors if s not in settled]

    def _record_failure(self, failed: _HandlingFailed) -> tuple[DeliveryOutcome | None, str | None]:
        """The failing input's transaction was rolled back, its claim with it: claim it again (counted as its
        attempt, as it was) and record the failure."""
        claimed = self.journal.claim(self.name, [failed.seq],
                                     claimed_by=self.instances.id if self.instances else None)
        if not claimed:   # taken meanwhile by another worker: whoever holds it handles it
            return None, None
        outcome = self._fail(claimed[0], failed.error, failed.event)
        self._record(claimed[0].claimed_at, [outcome])
        return outcome, claimed[0].subject

    # --- the careful way: a claim committed first (see the module docstring) ------------------------------------
    def _handle(self, claimed: Sequence[ClaimedDelivery]) -> list[DeliveryOutcome]:
        token = claimed[0].claimed_at
        todo = list(claimed)
        outcomes: list[DeliveryOutcome] = []
        deferring = True
        while todo:
            if self.stop.is_set():
                given_back = [_give_back(c) for c in todo]
                self._record(token, given_back)
                return outcomes + given_back
            try:
                outcomes += self._commit(todo, token, deferring)
                return outcomes
            except DeferredWritesFailed:   # whose write failed is unknown: again, each write at once
                deferring = False
            except _HandlingFailed as failed:
                culprit = todo[failed.index]
                outcome = self._fail(culprit, failed.error, failed.event)
                self._record(token, [outcome])
                outcomes.append(outcome)
                todo = todo[:failed.index] + todo[failed.index + 1:]
            except OperationalError as exc:   # the journal went away: give the claims back once it returns
                self._unrecorded = (token, [_give_back(c) for c in todo])
                raise RetryableError(f"journal unavailable while processing: {exc.__class__.__name__}") from exc
        return outcomes

    def _commit(self, todo: Sequence[ClaimedDelivery], token: Any, deferring: bool) -> list[DeliveryOutcome]:
        """Handle a batch claimed beforehand and commit everything it produced, in one transaction."""
        seqs = [c.seq for c in todo]
        dialect = self.journal.engine.dialect
        with self.journal.engine.begin() as conn:
            self.projections.lock_in(conn, self.name)
            held_stmt = select(deliveries.c.seq).where(
                deliveries.c.subscriber == self.name, among(deliveries.c.seq, seqs, dialect),
                deliveries.c.status == S.DELIVERING, deliveries.c.claimed_at == token)
            if dialect.name == "postgresql":
                held_stmt = held_stmt.with_for_update()
            held = {seq for (seq,) in conn.execute(held_stmt)}
            # taken back after the lease: whoever holds it now handles it
            outcomes, derived = self._handle_in(conn, [c for c in todo if c.seq in held], todo, deferring=deferring)
            self.journal.complete_in(conn, self.name, outcomes, claimed_at=token)
        self._committed(outcomes, derived)
        return outcomes

    # --- shared by both ways --------------------------------------------------------------------------------------
    def _handle_in(self, conn: Connection, claimed: Sequence[ClaimedDelivery],
                   indexed: Sequence[ClaimedDelivery] | None = None, *, deferring: bool = True,
                   ) -> tuple[list[DeliveryOutcome], list[Envelope[Any]]]:
        """Hand each claimed input to the processor inside ``conn`` and journal what it derived; the outcomes to
        record. Raises :class:`_HandlingFailed` (its index in ``indexed``, by default ``claimed``) on the first
        failing input, :class:`DeferredWritesFailed` if the writes the processor deferred (``ctx.write``) fail
        when they run together: the caller rolls back (and, for the latter, tries again without ``deferring``)."""
        processor = self.processor
        now = self.clock()
        writes = DeferredWrites(conn) if deferring else None
        index_of = {c.seq: i for i, c in enumerate(indexed)} if indexed is not None else None
        outcomes: list[DeliveryOutcome] = []
        derived: list[Envelope[Any]] = []
        depth_of: dict[str, int] = {}
        for position, c in enumerate(claimed):
            index = index_of[c.seq] if index_of is not None else position
            try:
                event = self.journaled_event(c)
            except Exception as exc:  # a journaled body that no longer parses: never retry blindly
                raise _HandlingFailed(index, c.seq, RejectError(f"journaled event does not parse: {exc}"), None)
            if not self.policy.allowed(processor, event):
                outcomes.append(DeliveryOutcome(c.seq, S.DENIED, event_type=event.type, attempted=False))
                continue
            ctx = ProcessContext(conn, processor, now, cause=event, writes=writes)
            depth = c.depth + 1
            try:
                produced = processor.process(event, ctx)
                made = wrap_derived(ctx, produced, event.id, depth) if produced else []
                for own in made:
                    processor.applied(own, ctx)
                if ctx.schedules or ctx.cancels:
                    self.timers.schedule_in(conn, self.name, ctx.schedules, ctx.cancels, now)
            except Exception as exc:
                if writes is not None and writes.failed is not None:   # an earlier event's write, perhaps
                    raise DeferredWritesFailed() from exc
                raise _HandlingFailed(index, c.seq, _as_failure(exc), event) from exc
            if writes is not None and writes.failed is not None:   # the processor caught it: still rolled back
                raise DeferredWritesFailed()
            if made:
                derived += made
                depth_of.update((d.id, depth) for d in made)
            outcomes.append(DeliveryOutcome(c.seq, S.DELIVERED, event_type=event.type))
        if writes is not None:
            writes.flush()
        self._append_derived(conn, derived, depth_of)
        return outcomes, derived

    def _append_derived(self, conn: Connection, derived: list[Envelope[Any]], depth_of: dict[str, int]) -> None:
        """Journal what the batch derived, in its transaction; a derived event journaled before with other data (a
        processor that is not deterministic) keeps the first and is logged."""
        if derived:
            result = self.journal.append_in(conn, derived, depths=depth_of)
            for conflict in result.conflicts:
                log.warning("processor_derived_differently", processor=self.name,
                            event_id=conflict.journaled_id, fields=list(conflict.fields))

    def _committed(self, outcomes: Sequence[DeliveryOutcome], derived: Sequence[Envelope[Any]]) -> None:
        failpoint("after_processor_commit")
        if derived:
            self.on_journaled()
        for event_type, n in Counter(o.event_type for o in outcomes if o.status == S.DELIVERED).items():
            metrics.EVENTS_OUT.labels(connector=self.name, type=event_type).inc(n)


def _suspect_error(last_error: str) -> bool:
    errors = attempt_list(last_error)
    return bool(errors) and errors[-1].get("kind") == WORKER_LOST


def _read_statements(dialect: Any) -> tuple[Any, Any]:
    """What a batch's claim would take, read without claiming (seq, subject, last error, type, depth: the claim's
    conditions, ``DeliveryStore.claim``), and the journaled bodies of some events; built once. Only a guess at the
    claim (which decides, in the transaction): reading more or less than it takes costs a handling again, nothing
    else."""
    due, blocked = claimable_conditions(bindparam("b_now", type_=UtcDateTime()))
    claimable = (select(deliveries.c.seq, deliveries.c.subject, deliveries.c.last_error, events.c.type,
                        events.c.depth)
                 .join(events, events.c.seq == deliveries.c.seq)
                 .where(deliveries.c.subscriber == bindparam("b_subscriber"),
                        among_key(deliveries.c.seq, "b_seqs", dialect), due, ~blocked)
                 .order_by(deliveries.c.seq))
    bodies = select(events.c.seq, events.c.body).where(among_key(events.c.seq, "b_seqs", dialect))
    return claimable, bodies


class TimerFirer:
    """Fires the processors' due timers: each firing's derived events, its projection writes and the timer's
    ``fired`` mark in one transaction (a batch of timers per transaction)."""

    def __init__(self, processors: Mapping[str, Processor], journal: Journal, store: TimerStore,
                 projections: ProjectionManager, *, retry: RetrySettings, batch_size: int = 200,
                 on_journaled: Callable[[], None] = lambda: None):
        self.processors = dict(processors)
        self.journal = journal
        self.store = store
        self.projections = projections
        self.retry = retry
        self.batch_size = batch_size
        self.on_journaled = on_journaled

    def fire_due(self, at: datetime) -> int:
        """Fire every timer due at ``at``; returns how many fired (a failing one is retried later, not counted)."""
        if not self.processors:
            return 0
        fired = 0
        skip: list[int] = []
        while True:
            try:
                n = self._fire_batch(at, skip)
            except _TimerFailed as failed:
                self._failed(failed.due, failed.error, at)
                skip.append(failed.due.id)
                continue
            fired += n
            if n < self.batch_size:
                return fired

    def _fire_batch(self, at: datetime, skip: Sequence[int]) -> int:
        with ExitStack() as turns:
            for name in sorted(self.processors):   # in one order, as the projections' locks
                turns.enter_context(self.projections.turn(name))
            return self._fire_batch_in_turn(at, skip)

    def _fire_batch_in_turn(self, at: datetime, skip: Sequence[int]) -> int:
        with self.journal.engine.begin() as conn:
            for name in sorted(self.processors):   # always in one order: no deadlock between two firers
                self.projections.lock_in(conn, name)
            due = self.store.take_due_in(conn, sorted(self.processors), at, self.batch_size, skip)
            derived: list[Envelope[Any]] = []
            journaled = 0
            for d in due:
                processor = self.processors[d.processor]
                ctx = ProcessContext(conn, processor, at, timer=d.timer)
                try:
                    made = wrap_derived(ctx, processor.on_timer(d.timer, ctx), f"timer\x1f{d.timer.key}", 1)
                    for own in made:
                        processor.applied(own, ctx)
                    self.store.schedule_in(conn, processor.name, ctx.schedules, ctx.cancels, at)
                    if ctx.purges:
                        # what earlier firings derived is journaled first, so that the purge covers it too; what
                        # this firing derived (the deletion's record) is journaled after it, whole
                        journaled += self._append(conn, derived)
                        derived = []
                        for subject in ctx.purges:
                            purge_in(conn, subject, self.processors, at)
                except Exception as exc:
                    raise _TimerFailed(d, exc) from exc
                derived += made
            journaled += self._append(conn, derived)
        failpoint("after_timer_commit")
        if journaled:
            self.on_journaled()
        if due:
            log.info("timers_fired", count=len(due), derived=journaled)
        return len(due)

    def _append(self, conn: Any, derived: list[Envelope[Any]]) -> int:
        if derived:
            self.journal.append_in(conn, derived, depths={e.id: 1 for e in derived})
        return len(derived)

    def _failed(self, due: DueTimer, exc: Exception, at: datetime) -> None:
        when = None if isinstance(exc, RejectError) else retry_at(
            due.attempts - 1, at, self.retry.max_attempts, self.retry.base_delay, self.retry.max_delay)
        log.error("timer_failed", processor=due.processor, key=due.timer.key, attempt=due.attempts,
                  error_type=type(exc).__name__, error=str(exc)[:300], gives_up=when is None)
        self.store.failed(due.id, f"{type(exc).__name__}: {exc}", when, utcnow())


class _TimerFailed(Exception):
    def __init__(self, due: DueTimer, error: Exception):
        super().__init__(str(error))
        self.due = due
        self.error = error


def next_wait(store: TimerStore, processors: Sequence[str], clock: Callable[[], datetime], ceiling: float) -> float:
    """Seconds until the next timer is due (at most ``ceiling``): the timer thread sleeps that long."""
    nxt = store.next_due(processors)
    if nxt is None:
        return ceiling
    return max(0.0, min(ceiling, (nxt - clock()) / timedelta(seconds=1)))
