"""Embedded transport: the events an ingest commit journaled are put on the in-process bus by the committing thread,
without an outbox row for the relay to read and delete.

Why: on the in-process transport the outbox only carried each event from the commit to the relay thread, which read
it back, published a reference and deleted the row — three statements and a thread hand-off for nothing durable
(py-spy, embedded: the relay's read and delete and the outbox insert were ~7 % of the hub's samples). The journal's
delivery rows are the queue; the reference only wakes the subscriber's worker.

Why it is safe: nothing on that transport survives the process anyway. What a crash between the commit and the
publish leaves — open deliveries with neither an outbox row nor a message — is exactly what the start's recovery
dispatches again (``Hub.recover``: ``flag_undispatched``), and while the hub runs a reference that failed to publish
is caught by the workers' stale-dispatch sweep. Only the process whose workers run (``Hub.run``) dispatches this way;
any other process journaling into the same journal (a command, ``run --once``) writes outbox rows as before, which
the running hub's relay publishes. On RabbitMQ the outbox stays: there, the broker must confirm before the rows go.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import structlog

from contracts import Envelope
from hub.core.bus import Bus, Publisher, references

__all__ = ["DirectDispatch"]

log = structlog.get_logger(__name__)


class DirectDispatch:
    def __init__(self, bus: Bus, per_message: int):
        if bus.is_amqp:
            raise ValueError("direct dispatch is for the in-process transport only (RabbitMQ keeps the outbox)")
        self.bus = bus
        self.per_message = per_message
        self._publisher: Publisher | None = None
        self._lock = threading.Lock()   # the inbox scan and the gateway's committer commit from their own threads

    @property
    def enabled(self) -> bool:
        return self._publisher is not None

    def start(self) -> None:
        """From now on, ingest commits skip the outbox and publish here (``Hub.run``, while its workers run)."""
        with self._lock:
            if self._publisher is None:
                self._publisher = self.bus.publisher()

    def stop(self) -> None:
        with self._lock:
            publisher, self._publisher = self._publisher, None
        if publisher is not None:
            publisher.close()

    def publish(self, inserted: Sequence[tuple[int, Envelope[Any]]]) -> bool:
        """Reference messages for the events just committed (seq, event); False if they could not be published
        (stopped meanwhile, or the bus failed): the deliveries stay open in the journal, dispatched again by the
        stale-dispatch sweep or the next start's recovery."""
        messages = references(((seq, event.type) for seq, event in inserted), self.per_message)
        with self._lock:
            if self._publisher is None:
                log.warning("direct_dispatch_stopped", events=len(inserted))
                return False
            try:
                self._publisher.publish(messages)
            except Exception as exc:  # the journal holds them: a sweep or the next start dispatches them
                log.warning("direct_dispatch_failed", events=len(inserted), error_type=type(exc).__name__,
                            error=str(exc))
                return False
        return True
