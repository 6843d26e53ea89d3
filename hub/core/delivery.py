"""The delivery loop: the only place that decides acknowledge / retry / dead-letter for outbound messages.

One worker per subscriber — a connector, or a registered partner with a channel — so a slow or dead partner holds up
nobody else, each reading its own queue in batches (a partner's webhook delivering several of a batch at once, up to
its ``concurrency``): claim the batch's deliveries in the journal (which enforces per-demand order and absorbs
redelivered messages), check the access policy once more, encode, hand to the partner under a timeout, record every
outcome in one transaction, then acknowledge the bus messages. A failure is retried with exponential backoff and jitter up to
``retry.max_attempts``; then the delivery goes to the dead-letter store with every attempt's error.

What keeps it safe under faults:

* the bus messages of a batch are acknowledged only after its outcomes are committed; if the journal is
  unreachable the batch is kept in hand (unacknowledged) and tried again, so a database outage neither loses
  messages nor burns the broker's delivery limit;
* a claimed batch is given back, unattempted, when the hub is stopping or when the claim's lease is nearly spent
  (another process would retake the rows and deliver them twice); after ``BREAKER`` consecutive transient failures
  that together took at least a delivery timeout, the rest of the batch is postponed without calling the partner
  (it hangs: do not spend a timeout per event). Fast failures (503, refused connection) just take their retry;
* a delivery whose previous worker died while holding it (``WorkerLost``: its lease ran out) is a suspect — the
  message may be what kills workers. Suspects are delivered one claim at a time, so that only the culprit's
  attempts run out and it alone ends in the dead letters, not the whole batch it arrived with;
* ``sweep()`` re-dispatches what the journal says needs a bus message: rows flagged after a restart, an operator
  retry or a replay, due retries (on RabbitMQ the delay queues bring them back; the sweep only rescues late ones),
  claims whose worker died (lease expired), and — rarely, when the queue is idle — open rows untouched for
  ``stale_dispatch`` seconds.
"""

from __future__ import annotations

import json
import queue
import random
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import structlog
from kombu.message import Message

from contracts import Envelope
from hub.core import metrics
from hub.core.bus import (
    RETRY_TIERS_MS, Bus, OutgoingMessage, Publisher, QueueReader, message_seqs, references,
)
from hub.core.config import RetrySettings
from hub.core.connector import Connector, OutboundMessage
from hub.core.errors import EncodeError, RejectError, RetryableError
from hub.core.faults import failpoint
from hub.core.fresh import FreshEvents
from hub.core.instances import InstanceRegistry
from hub.core.journal import WORKER_LOST, ClaimedDelivery, DeliveryOutcome, Journal, utcnow
from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journaled import parse_journaled
from hub.core.routing import AccessPolicy

__all__ = ["DeliveryWorker", "backoff_delay", "StepResult", "BREAKER", "STOP_GRACE", "CHAIN_ROUNDS"]

log = structlog.get_logger(__name__)

#: Consecutive transient failures in one batch, taking together at least a delivery timeout, after which the
#: partner is taken as down for the rest of the batch.
BREAKER = 3

#: Rounds of "deliver, then the next event of each demand just settled" one batch may follow before it hands the
#: rest of its chains to the sweep (a demand with thousands of queued events must not hold the worker forever).
CHAIN_ROUNDS = 1_000

#: Seconds a partner call in progress may still take once the hub is stopping, before it is abandoned (and retried
#: after the restart; the partner recognises a copy it already had by the event id).
STOP_GRACE = 5.0


def _suspect(claimed: ClaimedDelivery) -> bool:
    return bool(claimed.errors) and claimed.errors[-1].get("kind") == WORKER_LOST


def _give_back(claimed: ClaimedDelivery) -> DeliveryOutcome:
    """Return a claim untried: pending again, flagged so that a sweep dispatches it."""
    return DeliveryOutcome(claimed.seq, S.PENDING, next_attempt_at=utcnow(), event_type=claimed.type,
                           attempted=False)


def backoff_delay(attempt: int, retry: RetrySettings, rng: random.Random | None = None) -> float:
    """Seconds to wait before attempt ``attempt + 1``: exponential, capped, with a random share so that many
    deliveries failing together (a partner outage) do not all come back at the same instant."""
    raw = min(retry.max_delay, retry.base_delay * (2 ** max(0, attempt - 1)))
    return raw * (1 - retry.jitter * (rng or random).random())


@dataclass
class StepResult:
    received: int = 0
    delivered: int = 0
    failed: int = 0


@dataclass
class _BatchRun:
    """A claimed batch being delivered, shared by the delivery thread and the thread watching it."""

    claimed: Sequence[ClaimedDelivery]
    started: float
    outcomes: list[DeliveryOutcome] = field(default_factory=list)
    call_started: float | None = None       # set while a partner call is in progress
    failing: list[DeliveryOutcome] = field(default_factory=list)   # consecutive transient failures
    failing_since: float = 0.0
    partner_down: bool = False
    abandoned: bool = False
    error: BaseException | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    done: threading.Event = field(default_factory=threading.Event)   # set by the delivery thread at the end

    def resumed(self) -> "_BatchRun":
        """The rest of the batch, for a fresh delivery thread (the abandoned one keeps the old object)."""
        return _BatchRun(self.claimed, self.started, list(self.outcomes), None, list(self.failing),
                         self.failing_since, self.partner_down)


class _DeliveryThread:
    """The long-lived thread that delivers a worker's claimed batches in turn (:meth:`DeliveryWorker._deliver_in_turn`).

    Why not a thread per batch: starting one waits for it to run (a GIL hand-over each way) on every batch, at every
    event's pace under a steady rate. A thread abandoned in a hung partner call ends when that call returns (it
    takes no other batch): the worker hands the next batches to a fresh one."""

    def __init__(self, worker: "DeliveryWorker"):
        self._worker = worker
        self._batches: queue.SimpleQueue[_BatchRun | None] = queue.SimpleQueue()
        # a daemon thread: one abandoned in a hung call must not keep the process from exiting
        self.thread = threading.Thread(target=self._loop, name=f"deliver-{worker.name}", daemon=True)
        self.thread.start()

    def deliver(self, run: "_BatchRun") -> None:
        self._batches.put(run)

    def stop(self) -> None:
        self._batches.put(None)

    def _loop(self) -> None:
        while (run := self._batches.get()) is not None:
            self._worker._deliver_run(run)
            run.done.set()
            if run.abandoned:
                return


class DeliveryWorker:
    """Delivers one connector's events. ``step()`` is one batch; ``run()`` loops until stopped."""

    def __init__(self, connector: Connector, journal: Journal, bus: Bus, policy: AccessPolicy, *,
                 retry: RetrySettings, batch_size: int, batch_wait: float, timeout: float, lease: float,
                 stale_dispatch: float, instances: InstanceRegistry | None = None,
                 fresh: FreshEvents | None = None):
        self.connector = connector
        self.name = connector.name
        self.journal = journal
        self.bus = bus
        self.policy = policy
        self.retry = retry
        self.batch_size = batch_size
        self.batch_wait = batch_wait
        self.timeout = timeout
        self.lease = lease
        self.stale_dispatch = stale_dispatch
        #: deliveries in flight at once (a partner's webhook may take several; a connector takes one at a time)
        self.concurrency = max(1, int(getattr(connector, "concurrency", 1)))
        #: the connector renders events as the canonical JSON envelope, which the journal holds already
        self.renders_journal_text = type(connector).encode is Connector.encode
        self.instances = instances   # who we are in the journal, and who is dead (their claims come back at once)
        self.fresh = fresh           # the events this process journaled, not to be parsed again (hub.core.fresh)
        # a claim must be settled well within its lease, or another process retakes it and delivers it again
        self.claim_budget = max(0.0, lease - timeout - 0.1 * lease)
        # on RabbitMQ a due retry comes back through its delay queue; the sweep only rescues a late one
        self.retry_grace = stale_dispatch if bus.is_amqp else 0.0
        self.reader: QueueReader = bus.consumer(self.name, connector.subscriptions, prefetch=batch_size * 2)
        self.publisher: Publisher = bus.publisher()
        self.stop = threading.Event()
        self._held: list[Message] = []
        self._deliverer: _DeliveryThread | None = None   # started with the first batch delivered in turn
        self._unrecorded: tuple[Any, list[DeliveryOutcome]] | None = None   # (claim token, outcomes)
        self._last_sweep = 0.0
        self._last_stale = time.monotonic()
        self.log = log.bind(connector=self.name)
        # metric children looked up once, not per event (``labels()`` cost ~2 µs an event)
        self._latency = metrics.DELIVERY_LATENCY.labels(connector=self.name)
        self._delivered: dict[str, Any] = {}   # event type → its EVENTS_OUT child
        if self.claim_budget <= 0:
            self.log.warning("lease_shorter_than_timeout", lease=lease, delivery_timeout=timeout)

    # --- the loop ---------------------------------------------------------------------------------------------
    def run(self, stop: threading.Event, sweep_every: float = 1.0) -> None:
        self.stop = stop
        while not stop.is_set():
            try:
                if time.monotonic() - self._last_sweep >= sweep_every:
                    self.sweep()
                self.step(wait=self.batch_wait * 10)
            except RetryableError as exc:   # broker or database briefly gone: wait and go on
                self.log.warning("delivery_loop_interrupted", error=str(exc))
                stop.wait(1.0)
            except Exception as exc:  # never let one connector's worker die silently
                self.log.exception("delivery_loop_error", error_type=type(exc).__name__)
                stop.wait(1.0)

    def step(self, wait: float | None = None) -> StepResult:
        """Read one batch from the queue (or take back the one kept after a failure), deliver what is due, record,
        acknowledge."""
        if self._unrecorded is not None:   # delivered before the journal went away: record, do not redeliver
            claimed_at, outcomes = self._unrecorded
            self._record(claimed_at, outcomes)
        if self._held:
            messages, self._held = self._held, []
        else:
            messages = self.reader.next_batch(self.batch_size, self.batch_wait if wait is None else wait)
        result = StepResult(received=len(messages))
        seqs = sorted({seq for m in messages for seq in message_seqs(m)})
        try:
            if seqs:
                self._deliver_seqs(seqs, result)
        except BaseException:
            self._held = messages   # not acknowledged: what was recorded is absorbed when they come back
            raise
        self._acknowledge(messages)
        return result

    def _acknowledge(self, messages: Sequence[Message]) -> None:
        """Outcomes are durable: now the broker may forget the messages. On RabbitMQ one ``multiple`` ack covers
        the batch (every earlier message of the channel was acknowledged by an earlier batch, or is in this one);
        the in-process transport acknowledges one by one."""
        if not messages:
            return
        try:
            if self.bus.is_amqp:
                max(messages, key=lambda m: m.delivery_tag).ack(multiple=True)
            else:
                for m in messages:
                    m.ack()
        except Exception as exc:  # channel gone: the broker requeues them, the journal absorbs the copies
            self.reader.close()
            raise RetryableError(f"acknowledge failed: {type(exc).__name__}: {exc}") from exc

    def sweep(self, *, lease: float | None = None) -> int:
        """Dispatch what the journal says needs a bus message (see the module docstring). Returns how many.

        ``lease=0`` gives back every claim at once: only for a start on the in-process transport, where no other
        process can be delivering."""
        self._last_sweep = time.monotonic()
        expired = self.journal.expire_leases(self.name, lease=self.lease if lease is None else lease,
                                             max_attempts=self.retry.max_attempts,
                                             dead_instances=self.instances.dead() if self.instances else None)
        if expired.released or expired.dead:
            self.log.warning("claims_expired", released=len(expired.released), dead_lettered=len(expired.dead))
            metrics.DEAD_LETTERS.labels(direction="outbound", connector=self.name).inc(len(expired.dead))
        limit = self.batch_size * 4
        seqs = self.journal.take_due(self.name, retry_grace=self.retry_grace, limit=limit)
        self._dispatch_taken(seqs)
        if len(seqs) == limit:
            self._last_sweep = 0.0   # more is due: sweep again after the next batch, keeping the queue fed
        if time.monotonic() - self._last_stale >= self.stale_dispatch:
            self._last_stale = time.monotonic()
            if self.reader.ready() == 0:
                stale = self.journal.take_stale(self.name, stale_before=utcnow() - timedelta(
                    seconds=self.stale_dispatch), limit=limit)
                if stale:
                    self.log.warning("stale_deliveries_dispatched", count=len(stale))
                self._dispatch_taken(stale)
                seqs += stale
        return len(seqs)

    def _dispatch_taken(self, seqs: Sequence[int]) -> None:
        if not seqs:
            return
        try:
            self.dispatch(seqs)
        except BaseException:
            self.journal.flag_for_dispatch(self.name, seqs)   # taken but not sent: due again at the next sweep
            raise

    def dispatch(self, seqs: Sequence[int], delay_ms: int | None = None) -> None:
        """Put these deliveries on this subscriber's queue (after ``delay_ms`` on RabbitMQ's delay queues)."""
        if not self.bus.is_amqp:
            self.publisher.publish(references(((seq, self.name) for seq in seqs), self.batch_size),
                                   exchange=self.bus.topology.deliver)
            return
        rows = self.journal.bodies(seqs)
        if delay_ms:
            tier = next((t for t in RETRY_TIERS_MS if t >= delay_ms), RETRY_TIERS_MS[-1])
            msgs = [OutgoingMessage(seq, f"{tier}.{self.name}", body.encode()) for seq, _t, body in rows]
            self.publisher.publish(msgs, exchange=self.bus.topology.retry)
            return
        msgs = [OutgoingMessage(seq, self.name, body.encode()) for seq, _t, body in rows]
        self.publisher.publish(msgs, exchange=self.bus.topology.deliver)

    # --- delivering -------------------------------------------------------------------------------------------
    def _deliver_seqs(self, seqs: Sequence[int], result: StepResult) -> None:
        """Deliver, then follow the chain: settling an event may free the next event of the same demand."""
        todo = list(seqs)
        for _round in range(CHAIN_ROUNDS):
            if not todo:
                return
            claimed = self.journal.claim(self.name, todo,
                                         claimed_by=self.instances.id if self.instances else None)
            if not claimed:
                return
            suspects = [c for c in claimed if _suspect(c)]
            if suspects and len(claimed) > 1:
                # undo this claim (nothing was tried), then take each suspect alone: a crash now charges only it
                self._record(claimed[0].claimed_at, [_give_back(c) for c in claimed])
                for c in suspects:
                    if not self.stop.is_set():
                        self._deliver_seqs([c.seq], result)
                todo = [c.seq for c in claimed if not _suspect(c)]
                continue
            outcomes = self._handle(claimed)
            settled = {o.seq for o in outcomes if o.status in S.SETTLED}
            result.delivered += sum(o.status == S.DELIVERED for o in outcomes)
            result.failed += sum(o.status in (S.RETRYING, S.DEAD, S.UNRENDERABLE) and o.attempted for o in outcomes)
            if not all(o.attempted or o.status == S.DENIED for o in outcomes):
                return   # stopping, out of lease budget, or partner down: the rest waits for a later round
            subjects = {c.subject for c in claimed if c.seq in settled and c.subject}
            todo = [s for s in self.journal.successors(self.name, subjects) if s not in settled]
        if todo:
            # a long chain of one demand's events: hand the rest to the next sweep rather than hold this worker
            # (their bus messages were consumed; without the flag they would wait for the stale sweep)
            self.journal.flag_for_dispatch(self.name, todo)

    def _handle(self, claimed: Sequence[ClaimedDelivery]) -> list[DeliveryOutcome]:
        """Deliver a claimed batch and record its outcomes (a processor's worker handles and records it in one
        transaction instead: :mod:`hub.core.processor_worker`)."""
        outcomes = self._deliver_claimed(claimed)
        failpoint("before_record_delivery")
        self._record(claimed[0].claimed_at, outcomes)
        return outcomes

    def _record(self, claimed_at: Any, outcomes: list[DeliveryOutcome]) -> None:
        """Record outcomes (kept in hand if the journal is unreachable, to be recorded at the next step), then
        send the retries to the broker's delay queues."""
        self._unrecorded = (claimed_at, outcomes)
        lost = self.journal.complete(self.name, outcomes, claimed_at=claimed_at)
        self._unrecorded = None
        if lost:
            self.log.warning("claims_lost", count=len(lost))   # taken back after the lease; the journal's state wins
        self._count_delivered(o.event_type for o in outcomes if o.status == S.DELIVERED and o.seq not in lost)
        retry_later = [o for o in outcomes if o.status == S.RETRYING and o.seq not in lost]
        if retry_later and self.bus.is_amqp:
            delay = min(o.next_attempt_at for o in retry_later) - utcnow()  # type: ignore[operator]
            self.dispatch([o.seq for o in retry_later], delay_ms=max(1, int(delay.total_seconds() * 1000)))

    def _count_delivered(self, event_types: Iterable[str | None]) -> None:
        """Count recorded deliveries in ``relais_events_out_total``, once per type and batch (one increment per
        event took a lock each time: ~4 % of a delivery thread)."""
        for event_type, n in Counter(event_types).items():
            counter = self._delivered.get(event_type)
            if counter is None:
                counter = self._delivered[event_type] = metrics.EVENTS_OUT.labels(connector=self.name,
                                                                                  type=event_type)
            counter.inc(n)

    def _deliver_claimed(self, claimed: Sequence[ClaimedDelivery]) -> list[DeliveryOutcome]:
        if self.concurrency > 1:
            return self._deliver_concurrently(claimed)
        return self._deliver_in_turn(claimed)

    def _deliver_concurrently(self, claimed: Sequence[ClaimedDelivery]) -> list[DeliveryOutcome]:
        """A subscriber taking several deliveries at once (a partner's webhook with ``concurrency`` N): the batch's
        deliveries go N at a time. Order is kept: a claimed batch holds at most one event per demand (``claim``
        takes none behind an unsettled one). A call cannot outlast the target's own timeout (the webhook's
        client has ``delivery_timeout``), so no watching thread; once stopping or out of lease budget, what has
        not started is given back; after ``BREAKER`` consecutive transient failures taking a delivery timeout, the
        rest is postponed without calling the partner."""
        started = time.monotonic()
        failing: list[tuple[float, DeliveryOutcome]] = []   # consecutive transient failures (when, outcome)
        lock = threading.Lock()

        def deliver(c: ClaimedDelivery) -> DeliveryOutcome:
            if self.stop.is_set() or time.monotonic() - started > self.claim_budget:
                return _give_back(c)
            with lock:   # the partner is down (as the in-turn path judges it): postpone without calling it
                if len(failing) >= BREAKER and time.monotonic() - failing[0][0] >= self.timeout:
                    return DeliveryOutcome(c.seq, S.RETRYING, event_type=c.type, attempted=False,
                                           next_attempt_at=failing[-1][1].next_attempt_at)
            began = time.monotonic()
            try:
                outcome = self._deliver_one(c)
            except Exception as exc:  # a bug, not a partner failure: bounded by max_attempts like one
                outcome = self._fail(c, RetryableError(f"{type(exc).__name__}: {exc}"))
            with lock:
                if outcome.status == S.RETRYING:
                    failing.append((began, outcome))
                else:
                    failing.clear()
            return outcome

        with ThreadPoolExecutor(min(self.concurrency, len(claimed)),
                                thread_name_prefix=f"deliver-{self.name}") as pool:
            return list(pool.map(deliver, claimed))

    def _deliver_in_turn(self, claimed: Sequence[ClaimedDelivery]) -> list[DeliveryOutcome]:
        """Deliver a claimed batch in a delivery thread, this thread watching it: a partner call that outlasts
        ``delivery_timeout`` is abandoned (its thread left to finish on its own, its result ignored), counted as a
        transient failure, and the rest of the batch goes on in a fresh delivery thread. One hand-over per batch,
        not per event."""
        run = _BatchRun(claimed, time.monotonic())
        while True:
            if self._deliverer is None:
                self._deliverer = _DeliveryThread(self)
            self._deliverer.deliver(run)
            while not run.done.wait(timeout=min(0.25, self.timeout)):
                if self._abandon_hung_call(run):
                    self._deliverer = None   # left in the hung call; it ends on its own when the call returns
                    break
            if run.error is not None:
                raise run.error
            if not run.abandoned:
                break
            run = run.resumed()
        postponed = sum(not o.attempted and o.status != S.DENIED for o in run.outcomes)
        if postponed:
            self.log.info("deliveries_postponed", count=postponed, stopping=self.stop.is_set(),
                          partner_down=run.partner_down)
        return run.outcomes

    def _abandon_hung_call(self, run: "_BatchRun") -> bool:
        # stopping: a hung call gets a short grace, so that SIGTERM is not held up by a partner for a whole timeout
        limit = min(self.timeout, STOP_GRACE) if self.stop.is_set() else self.timeout
        with run.lock:
            if run.call_started is None or time.monotonic() - run.call_started <= limit:
                return False
            claimed = run.claimed[len(run.outcomes)]
            waited = time.monotonic() - run.call_started
            outcome = self._fail(claimed, RetryableError(
                f"connector {self.name!r} did not answer within {self.timeout:g}s" if limit == self.timeout else
                f"the hub stopped while connector {self.name!r} had not answered for {waited:.0f}s"))
            self._note(run, outcome, run.call_started)
            run.abandoned = True
            return True

    def _deliver_run(self, run: "_BatchRun") -> None:
        """The delivery thread's loop over a claimed batch; stops at once if the watching thread abandoned it."""
        try:
            self._deliver_each(run)
        except BaseException as exc:  # a bug, not a partner failure: the watching thread re-raises it
            run.error = exc

    def _deliver_each(self, run: "_BatchRun") -> None:
        while True:
            with run.lock:
                if run.abandoned or len(run.outcomes) == len(run.claimed):
                    return
                index = len(run.outcomes)
                c = run.claimed[index]
                if self.stop.is_set() or (index and time.monotonic() - run.started > self.claim_budget):
                    run.outcomes.append(_give_back(c))
                    continue
                if run.partner_down:   # postponed like the last failure, without spending an attempt
                    run.outcomes.append(DeliveryOutcome(c.seq, S.RETRYING, event_type=c.type, attempted=False,
                                                        next_attempt_at=run.failing[-1].next_attempt_at))
                    continue
                run.call_started = before = time.monotonic()
            outcome = self._deliver_one(c)
            with run.lock:
                if run.abandoned:
                    return
                self._note(run, outcome, before)

    def _note(self, run: "_BatchRun", outcome: DeliveryOutcome, began: float) -> None:
        """Record one attempt's outcome (caller holds ``run.lock``) and judge whether the partner is down."""
        run.call_started = None
        run.outcomes.append(outcome)
        if outcome.status != S.RETRYING:
            run.failing = []
            return
        if not run.failing:
            run.failing_since = began
        run.failing.append(outcome)
        run.partner_down = len(run.failing) >= BREAKER and time.monotonic() - run.failing_since >= self.timeout

    def journaled_event(self, claimed: ClaimedDelivery) -> Envelope[Any]:
        """The claimed event: the object this process journaled if it still holds it, else read from its body."""
        if self.fresh is not None:
            event = self.fresh.take(claimed.seq)
            if event is not None:
                return event
        return parse_journaled(claimed.body, claimed.type)

    def _deliver_one(self, claimed: ClaimedDelivery) -> DeliveryOutcome:
        try:
            event = self.journaled_event(claimed)
        except Exception as exc:  # a journaled body that no longer parses: a contract bug, never retry blindly
            return self._fail(claimed, RejectError(f"journaled event does not parse: {exc}"))
        if not self.policy.allowed(self.connector, event):
            self.log.info("delivery_denied", event_id=event.id, type=event.type)
            return DeliveryOutcome(claimed.seq, S.DENIED, event_type=event.type, attempted=False)
        try:
            # an upcast event (its type is not the journaled one) is rendered anew, in its current version
            journaled = claimed.body if event.type == claimed.type and isinstance(claimed.body, str) else None
            self._encode_and_deliver(event, journaled)
        except (RetryableError, RejectError) as exc:
            return self._fail(claimed, exc, event)
        except Exception as exc:  # an unexpected connector error: treated as transient, bounded by max_attempts
            return self._fail(claimed, RetryableError(f"{type(exc).__name__}: {exc}"), event)
        if claimed.recorded_at is not None:
            self._latency.observe(max(0.0, (utcnow() - claimed.recorded_at).total_seconds()))
        self.log.info("event_delivered", event_id=event.id, type=event.type, attempt=claimed.attempts)
        return DeliveryOutcome(claimed.seq, S.DELIVERED, event_type=event.type)

    def _encode_and_deliver(self, event: Envelope[Any], journaled: str | None = None) -> None:
        try:
            if journaled is not None and self.renders_journal_text:
                message = Connector.envelope_message(event, journaled)
            else:
                message = self.connector.encode(event)
        except (RetryableError, EncodeError):
            raise
        except Exception as exc:  # rendering is deterministic: what fails now fails on every retry
            raise EncodeError(f"connector {self.name!r} cannot render this event: {type(exc).__name__}: "
                              f"{str(exc)[:300]}") from exc
        if not isinstance(message, OutboundMessage):
            raise EncodeError(f"connector {self.name!r} encode() returned {type(message).__name__}, "
                              "not an OutboundMessage")
        if not isinstance(message.body, (bytes, bytearray)):   # retrying cannot fix a connector's rendering bug
            raise EncodeError(f"connector {self.name!r} encode() returned a body of type "
                              f"{type(message.body).__name__}, not bytes")
        self.connector.deliver(event, message)

    def _fail(self, claimed: ClaimedDelivery, exc: Exception, event: Envelope[Any] | None = None) -> DeliveryOutcome:
        attempts = list(claimed.errors) + [{"at": utcnow().isoformat(), "error": str(exc),
                                            "kind": type(exc).__name__}]
        attempt_no = claimed.attempts
        event_type = event.type if event is not None else claimed.type
        fields = {"event_id": event.id if event else None, "type": event_type, "attempt": attempt_no,
                  "error_type": type(exc).__name__, "error": str(exc)[:500]}
        if isinstance(exc, RetryableError) and attempt_no < self.retry.max_attempts:
            # a partner's Retry-After is honoured up to the longest backoff (a huge one would overflow, or park the
            # partner's deliveries for years)
            delay = (min(exc.retry_after, self.retry.max_delay) if exc.retry_after is not None
                     else backoff_delay(attempt_no, self.retry))
            metrics.RETRIES.labels(connector=self.name).inc()
            self.log.warning("delivery_failed", retry_in=round(delay, 3), **fields)
            return DeliveryOutcome(claimed.seq, S.RETRYING, json.dumps(attempts),
                                   utcnow() + timedelta(seconds=delay), event_type)
        metrics.DEAD_LETTERS.labels(direction="outbound", connector=self.name).inc()
        self.log.error("delivery_dead_lettered", **fields)
        status = S.UNRENDERABLE if isinstance(exc, EncodeError) else S.DEAD
        return DeliveryOutcome(claimed.seq, status, json.dumps(attempts), None, event_type)

    def close(self) -> None:
        if self._deliverer is not None:
            self._deliverer.stop()
            self._deliverer = None
        self.reader.close()
        self.publisher.close()
