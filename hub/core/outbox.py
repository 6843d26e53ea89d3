"""The outbox relay: moves journaled events onto the bus, in batches, under publisher confirms.

Journal-then-publish: an event is first committed with an outbox row; the relay publishes it and deletes the row
only once the broker confirmed. A crash in between leaves the row, so the event is published again on restart —
and the delivery rows in the journal make that second copy harmless. With several hub processes on PostgreSQL each
relay locks the batch it publishes (SKIP LOCKED), so they share the outbox instead of all publishing everything.
"""

from __future__ import annotations

import threading

import structlog

from hub.core.bus import Bus, OutgoingMessage, references
from hub.core.errors import RetryableError
from hub.core.journal import Journal

__all__ = ["OutboxRelay"]

log = structlog.get_logger(__name__)


class OutboxRelay:
    def __init__(self, journal: Journal, bus: Bus, batch_size: int):
        self.journal = journal
        self.bus = bus
        self.batch_size = batch_size
        self.publisher = bus.publisher()
        self.wakeup = threading.Event()

    def publish_pending(self) -> int:
        """Publish everything waiting in the outbox; returns how many events were published."""
        total = 0
        while True:
            with self.journal.unpublished_batch(self.batch_size, with_body=self.bus.is_amqp) as rows:
                if not rows:
                    return total
                if self.bus.is_amqp:
                    messages = [OutgoingMessage(seq, etype, self.bus.body(body)) for seq, etype, body in rows]
                else:   # in process: one reference message per event type of the batch (see hub.core.bus)
                    messages = references(((seq, etype) for seq, etype, _b in rows), self.batch_size)
                self.publisher.publish(messages)
            total += len(rows)
            log.debug("events_published", count=len(rows), last_seq=rows[-1][0])

    def run(self, stop: threading.Event, poll: float = 0.5) -> None:
        while not stop.is_set():
            # cleared before reading the outbox, not after waiting: a commit signalled while a batch was being
            # published is then seen at once, instead of waiting for the next poll
            self.wakeup.clear()
            try:
                self.publish_pending()
            except RetryableError as exc:
                log.warning("publish_interrupted", error=str(exc))
                stop.wait(1.0)
                continue
            except Exception as exc:  # database briefly unreachable: keep the relay alive
                log.exception("relay_error", error_type=type(exc).__name__)
                stop.wait(1.0)
                continue
            self.wakeup.wait(poll)

    def close(self) -> None:
        self.publisher.close()
