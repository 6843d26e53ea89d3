"""Running processors: their deliveries and their timers, each outcome committed with what it derived.

A processor's worker is a delivery worker (same queue, claims, per-demand order, retries, dead letters, leases);
only the step "hand the event to the partner, then record the outcome" differs: the processor's handling of the
whole claimed batch, its projection writes, the timers it set, the events it derived and the delivered outcomes go
in **one** transaction (group commit). If the processor raises on one event, that transaction is rolled back, the
event's failure is recorded alone (retry with backoff, or the dead letters), and the rest of the batch is handled
again without it — processors must therefore be deterministic for a given input and clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from contracts import Envelope
from hub.core import metrics
from hub.core.config import RetrySettings
from hub.core.delivery import DeliveryWorker, _give_back
from hub.core.errors import RejectError, RetryableError
from hub.core.faults import failpoint
from hub.core.journal import ClaimedDelivery, DeliveryOutcome, Journal, utcnow
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import deliveries, events
from hub.core.journaled import parse_journaled
from hub.core.processing import ProcessContext, Processor, wrap_derived
from hub.core.projections import ProjectionManager
from hub.core.retention import purge_in
from hub.core.stores.common import among
from hub.core.timers import DueTimer, TimerStore, retry_at

__all__ = ["ProcessorWorker", "TimerFirer"]

log = structlog.get_logger(__name__)


class _HandlingFailed(Exception):
    """One input of a batch failed; the batch's transaction was rolled back."""

    def __init__(self, index: int, error: Exception, event: Envelope[Any] | None):
        super().__init__(str(error))
        self.index = index
        self.error = error
        self.event = event


def _as_failure(exc: Exception) -> Exception:
    if isinstance(exc, (RetryableError, RejectError)):
        return exc
    # an unexpected processor error: retried (bounded by max_attempts), like a connector's
    return RetryableError(f"{type(exc).__name__}: {str(exc)[:500]}")


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

    def _handle(self, claimed: Sequence[ClaimedDelivery]) -> list[DeliveryOutcome]:
        token = claimed[0].claimed_at
        todo = list(claimed)
        outcomes: list[DeliveryOutcome] = []
        while todo:
            if self.stop.is_set():
                given_back = [_give_back(c) for c in todo]
                self._record(token, given_back)
                return outcomes + given_back
            try:
                outcomes += self._commit(todo, token)
                return outcomes
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

    def _commit(self, todo: Sequence[ClaimedDelivery], token: Any) -> list[DeliveryOutcome]:
        """Handle the batch and commit everything it produced, in one transaction."""
        processor = self.processor
        now = self.clock()
        outcomes: list[DeliveryOutcome] = []
        derived: list[Envelope[Any]] = []
        depth_of: dict[str, int] = {}
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
            depths = {seq: depth or 0 for seq, depth in conn.execute(
                select(events.c.seq, events.c.depth).where(among(events.c.seq, seqs, dialect)))}
            for index, c in enumerate(todo):
                if c.seq not in held:   # taken back after the lease: whoever holds it now handles it
                    continue
                try:
                    event = parse_journaled(c.body, c.type)
                except Exception as exc:  # a journaled body that no longer parses: never retry blindly
                    raise _HandlingFailed(index, RejectError(f"journaled event does not parse: {exc}"), None)
                if not self.policy.allowed(processor, event):
                    outcomes.append(DeliveryOutcome(c.seq, S.DENIED, event_type=event.type, attempted=False))
                    continue
                ctx = ProcessContext(conn, processor, now, cause=event)
                depth = depths.get(c.seq, 0) + 1
                try:
                    made = wrap_derived(ctx, processor.process(event, ctx), event.id, depth)
                    for own in made:
                        processor.applied(own, ctx)
                    self.timers.schedule_in(conn, self.name, ctx.schedules, ctx.cancels, now)
                except Exception as exc:
                    raise _HandlingFailed(index, _as_failure(exc), event) from exc
                derived += made
                depth_of.update((d.id, depth) for d in made)
                outcomes.append(DeliveryOutcome(c.seq, S.DELIVERED, event_type=event.type))
            if derived:
                result = self.journal.append_in(conn, derived, depths=depth_of)
                for conflict in result.conflicts:
                    log.warning("processor_derived_differently", processor=self.name,
                                event_id=conflict.journaled_id, fields=list(conflict.fields))
            self.journal.complete_in(conn, self.name, outcomes, claimed_at=token)
        failpoint("after_processor_commit")
        if derived:
            self.on_journaled()
        for event_type, n in Counter(o.event_type for o in outcomes if o.status == S.DELIVERED).items():
            metrics.EVENTS_OUT.labels(connector=self.name, type=event_type).inc(n)
        return outcomes


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
