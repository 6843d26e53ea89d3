"""Group commit for the gateway: one thread journals the decoded messages of concurrent requests together and
answers each request only after that commit (docs/architecture.md, invariants 1 and 7).

No timer: the committer takes whatever is waiting when it is free, so a lone request waits for one commit and a
burst shares a handful.
"""

from __future__ import annotations

import queue
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import structlog

from contracts import Envelope
from hub.core.connector import RawMessage
from hub.core.ingest import Origin, Rejection

__all__ = ["DecodedMessage", "InboundOutcome", "InboundCommitter"]

log = structlog.get_logger(__name__)


@dataclass
class DecodedMessage:
    """One request's message after decoding, waiting for the journal."""

    raw: RawMessage
    events: list[Envelope[Any]]
    rejections: list[Rejection]
    done: Future = field(default_factory=Future)


@dataclass(frozen=True)
class InboundOutcome:
    journaled: list[str]
    duplicates: int
    rejected: list[dict[str, Any]]
    conflicts: list[dict[str, Any]] = field(default_factory=list)   # changed resends: answered 409


class InboundCommitter:
    """The thread that journals decoded messages in batches and resolves each request's future after the commit."""

    def __init__(self, ingestor: Any, batch_size: int):
        self.ingestor = ingestor
        self.batch_size = batch_size
        self._queue: queue.Queue[DecodedMessage | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, message: DecodedMessage) -> Future:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="gateway-commit", daemon=True)
                self._thread.start()
        self._queue.put(message)
        return message.done

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < self.batch_size:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    self._queue.put(None)   # finish this batch, then stop
                    break
                batch.append(item)
            self._commit(batch)

    def _commit(self, batch: list[DecodedMessage]) -> None:
        try:
            origins = {e.id: Origin(m.raw.origin, m.raw.body) for m in batch for e in m.events}
            report = self.ingestor.commit([e for m in batch for e in m.events],
                                          [r for m in batch for r in m.rejections], origins=origins)
            inserted = set(report.event_ids)
            conflicts = {c["event_id"]: c for c in report.conflicts}
            refused = {r["event_id"]: r for r in report.refused}
            parts = iter(report.rejected_parts)   # in the order of the rejections given, message by message
            outcomes = []
            for m in batch:
                journaled = [e.id for e in m.events if e.id in inserted]
                changed = [conflicts[e.id] for e in m.events if e.id in conflicts]
                rejected = [next(parts) for _ in m.rejections]
                unstorable = [{k: v for k, v in refused[e.id].items() if k != "event_id"}
                              for e in m.events if e.id in refused]
                duplicates = len(m.events) - len(journaled) - len(changed) - len(unstorable)
                outcomes.append(InboundOutcome(journaled, duplicates, rejected + unstorable, changed))
        except Exception as exc:  # journal unreachable: nothing is acknowledged, every request of the batch hears it
            log.error("inbound_commit_failed", messages=len(batch), error_type=type(exc).__name__)
            for m in batch:
                if not m.done.done():
                    m.done.set_exception(exc)
            return
        for m, outcome in zip(batch, outcomes):
            if not m.done.done():   # a future cancelled by its waiter: the commit stands, nobody to tell
                m.done.set_result(outcome)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)
