"""Hub instances and their heartbeat: how a dead process's claims are taken back in seconds instead of a lease.

Why: a claimed delivery carries a lease (``lease``, 300 s by default) so that another process takes it back if its
worker vanished. That bound has to outlast the slowest partner call, which makes recovery slow: after a ``kill -9``
the claims of the dead process waited the whole lease even when the same process restarted at once. Each process now
registers itself at start and beats every few seconds; a claim whose instance stopped beating (``stale_after``), was
stopped, or whose process is gone from this very host (a restart finds its dead predecessor by its pid) is taken
back at the next sweep. The lease stays as the last resort (a journal whose instance rows were lost).
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from datetime import timedelta
from pathlib import Path

import structlog
from sqlalchemy import Select, delete, or_, select, update
from sqlalchemy.engine import Engine

from hub.core.stores.common import utcnow
from hub.core.journal_schema import instances

__all__ = ["InstanceRegistry", "HEARTBEAT", "STALE_AFTER"]

log = structlog.get_logger(__name__)

#: Seconds between two heartbeats of a running hub process.
HEARTBEAT = 5.0
#: An instance silent this long is dead (a frozen process comes back to find its claims gone: the journal's claim
#: tokens make its late outcomes harmless, and the partner's idempotency on the event id absorbs a second delivery).
STALE_AFTER = 30.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # someone else's process: alive
        return True
    return True


class InstanceRegistry:
    def __init__(self, engine: Engine, *, heartbeat: float = HEARTBEAT, stale_after: float = STALE_AFTER):
        self.engine = engine
        self.heartbeat = heartbeat
        self.stale_after = stale_after
        self.id: str | None = None
        self.host = socket.gethostname()

    def register(self, home: Path) -> str:
        """Record this process; mark dead the instances of this host whose process is gone (a restart's own
        predecessor among them), so that their claims are taken back at once."""
        now = utcnow()
        self.id = uuid.uuid4().hex
        with self.engine.begin() as conn:
            gone = [row.id for row in conn.execute(select(instances.c.id, instances.c.pid).where(
                instances.c.host == self.host, instances.c.stopped_at.is_(None))) if not _alive(row.pid)]
            if gone:
                conn.execute(update(instances).where(instances.c.id.in_(gone)).values(stopped_at=now))
                log.warning("dead_instances_found", count=len(gone), host=self.host)
            # a cron running `relais run --once` every minute must not grow the table forever: a stopped instance
            # holds no claim once the sweep has run, a day later it is history
            conn.execute(delete(instances).where(instances.c.stopped_at < now - timedelta(days=1)))
            conn.execute(instances.insert().values(id=self.id, host=self.host[:200], pid=os.getpid(),
                                                   home=str(home)[:500], started_at=now, heartbeat_at=now))
        return self.id

    def beat(self) -> None:
        if self.id is not None:
            with self.engine.begin() as conn:
                conn.execute(update(instances).where(instances.c.id == self.id).values(heartbeat_at=utcnow()))

    def stop(self) -> None:
        if self.id is not None:
            with self.engine.begin() as conn:
                conn.execute(update(instances).where(instances.c.id == self.id).values(stopped_at=utcnow()))
            self.id = None

    def dead(self) -> Select:
        """The ids of instances that no longer run (a subquery for the journal's claim sweep)."""
        silent_since = utcnow() - timedelta(seconds=self.stale_after)
        return select(instances.c.id).where(
            or_(instances.c.stopped_at.is_not(None), instances.c.heartbeat_at < silent_since),
            *([instances.c.id != self.id] if self.id else []))

    def run(self, stop: threading.Event) -> None:
        """Beat until ``stop``: a database outage skips beats (others may then take our claims: harmless)."""
        while not stop.wait(self.heartbeat):
            try:
                self.beat()
            except Exception as exc:  # the journal away: the hub pauses, the heartbeat too
                log.warning("heartbeat_failed", error_type=type(exc).__name__)

