"""The audit trail: who called, read, exported or was refused what, and when — append-only, in the journal's database.

Why: the hub carries files of households in hardship; the law asks that every change be traced to a legal entity,
and the device's manager must be able to say who saw a household's file. The trail never holds a household's
personal values: only identifiers (numéro unique, event id, dead letter id), the actor, the credential id and why.

Rows are only ever inserted (no update or delete here). :class:`AuditTrail` writes at once (the CLI, refusals);
:class:`BufferedAudit` gathers the rows of accepted inbound calls and writes them in batches, so that the gateway's
hot path does not pay one transaction per request (docs/architecture.md, invariant 8).
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import structlog
from sqlalchemy import Engine, insert, select

from hub.core.partners_schema import audit

__all__ = ["AuditEntry", "AuditTrail", "BufferedAudit", "AuditKind"]

log = structlog.get_logger(__name__)


class AuditKind:
    INBOUND = "inbound"      # a call to the gateway: accepted or refused, with the key id
    POLICY = "policy"        # the access policy refused a partner an event
    READ = "read"            # an operator or partner read nominative data (history, event, dead show, replay)
    REVEAL = "reveal"        # personal values of a dead letter shown, with the operator's reason
    ADMIN = "admin"          # a change of the registry (partner added, key issued, rotated, revoked)
    ALL = (INBOUND, POLICY, READ, REVEAL, ADMIN)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class AuditEntry:
    kind: str
    actor: str
    outcome: str
    action: str
    target: str | None = None
    key_id: str | None = None
    reason: str | None = None
    at: datetime | None = field(default=None)


class AuditTrail:
    """The ``audit`` table on one engine."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] = _utcnow):
        self.engine = engine
        self.clock = clock

    def record(self, entry: AuditEntry) -> None:
        self.record_many([entry])

    def record_many(self, entries: Sequence[AuditEntry]) -> None:
        if not entries:
            return
        now = self.clock()
        rows = [{**asdict(e), "at": e.at or now, "reason": (e.reason or None) and e.reason[:4000],
                 "target": e.target[:300] if e.target else None} for e in entries]
        with self.engine.begin() as conn:
            conn.execute(insert(audit), rows)

    def entries(self, *, actor: str | None = None, kind: str | None = None, since: datetime | None = None,
                until: datetime | None = None, limit: int = 1000) -> list[dict[str, Any]]:
        query = select(audit).order_by(audit.c.id)
        if actor:
            query = query.where(audit.c.actor == actor)
        if kind:
            query = query.where(audit.c.kind == kind)
        if since:
            query = query.where(audit.c.at >= since)
        if until:
            query = query.where(audit.c.at < until)
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.execute(query.limit(limit)).mappings()]


class BufferedAudit:
    """Rows written by a background thread, a batch at a time (at most ``wait`` seconds after they came).

    A row waiting here when the process is killed is lost; what it records (an accepted call) is also in the
    journal with its legal entity, so the law's trace survives. Refusals are written at once (:meth:`record_now`)."""

    def __init__(self, trail: AuditTrail, *, wait: float = 0.2, batch: int = 1000):
        self.trail = trail
        self.wait = wait
        self.batch = batch
        self._queue: queue.Queue[AuditEntry | None] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    def record(self, entry: AuditEntry) -> None:
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="audit-writer", daemon=True)
                self._thread.start()
            self._idle.clear()
            self._queue.put(entry)

    def record_now(self, entry: AuditEntry) -> None:
        self.trail.record(entry)

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                self._idle.set()
                return
            rows = [first]
            stop = False
            while len(rows) < self.batch:
                try:
                    item = self._queue.get(timeout=self.wait if len(rows) == 1 else 0)
                except queue.Empty:
                    break
                if item is None:
                    stop = True
                    break
                rows.append(item)
            try:
                self.trail.record_many(rows)
            except Exception as exc:  # the journal away: say so; the events themselves carry their entity
                log.error("audit_write_failed", rows=len(rows), error_type=type(exc).__name__)
            with self._lock:
                if self._queue.empty():
                    self._idle.set()
            if stop:
                return

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every row recorded so far is written (tests, shutdown)."""
        self._idle.wait(timeout)

    def close(self) -> None:
        with self._lock:
            thread, self._thread = self._thread, None
        if thread is not None:
            self._queue.put(None)
            thread.join(timeout=30)
