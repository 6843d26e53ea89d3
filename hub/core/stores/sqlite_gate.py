"""The embedded journal's writers queue on a lock of the process, not in SQLite's busy handler.

Why: SQLite lets one writer at a time into a database; another connection that wants to write meanwhile gets
"busy", and the busy handler behind ``busy_timeout`` *sleeps* before it tries again — 1, 2, 5, 10, … then 100 ms
at a time. In one hub process five threads write (the ingest's group commit, the relay, each worker's claims and
outcomes, a processor's batch transaction): a writer that arrived 1 ms after another was put to sleep for tens of
milliseconds, though the lock was free again long before (the slowest embedded runs with a processor: p50 13–17 s).
Behind a :class:`threading.Lock` a waiting writer wakes the moment the other commits.

How: each connection takes its database's gate before the first statement of a transaction that writes (an
``INSERT``, ``UPDATE``, ``DELETE``, … — a statement that only reads never waits), and gives it back when the
transaction ends (commit, rollback, close), whichever thread ends it (the pool may reset a connection from another
thread). A writer that waited on the gate as long as the busy timeout gets SQLite's own error ("database is
locked"), as it would have from SQLite — also a thread writing on two connections at once, which SQLite itself
never let through. Other processes on the same file (``relais import`` beside ``relais run``) still meet SQLite's
lock and its busy handler.

Measured (bench/README.md, "Third wave"): embedded with a processor, alternate runs on a quiet machine, 4 pairs of
5 faster by 10–17 % (CPU per event 271 / 304 / 277 → 256 / 272 / 262 µs).
"""

from __future__ import annotations

import re
import sqlite3
import threading
from typing import Any, ClassVar

__all__ = ["gated_connection_class"]

#: Statements that write (what may start or upgrade a write transaction); anything else never waits on the gate.
_WRITES = re.compile(r"\s*(?:INSERT|UPDATE|DELETE|REPLACE|CREATE|DROP|ALTER|WITH)\b", re.IGNORECASE)

_gates: dict[str, type["GatedConnection"]] = {}
_gates_lock = threading.Lock()


class GatedCursor(sqlite3.Cursor):
    def execute(self, sql: str, parameters: Any = (), /) -> "GatedCursor":
        self.connection.before(sql)   # type: ignore[attr-defined]
        return super().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> "GatedCursor":
        self.connection.before(sql)   # type: ignore[attr-defined]
        return super().executemany(sql, parameters)


class GatedConnection(sqlite3.Connection):
    gate: ClassVar[threading.Lock]
    wait: ClassVar[float]

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._writing = False

    def before(self, sql: str) -> None:
        """Take the gate before this transaction's first write."""
        if self._writing or not _WRITES.match(sql):
            return
        if not self.gate.acquire(timeout=self.wait):
            raise sqlite3.OperationalError("database is locked")
        self._writing = True

    def cursor(self, factory: Any = GatedCursor) -> Any:   # type: ignore[override]
        return super().cursor(factory)

    def execute(self, sql: str, parameters: Any = (), /) -> Any:   # type: ignore[override]
        return self.cursor().execute(sql, parameters)

    def executemany(self, sql: str, parameters: Any, /) -> Any:   # type: ignore[override]
        return self.cursor().executemany(sql, parameters)

    def commit(self) -> None:
        try:
            super().commit()
        finally:
            self._leave()

    def rollback(self) -> None:
        try:
            super().rollback()
        finally:
            self._leave()

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._leave()

    def _leave(self) -> None:
        if self._writing:
            self._writing = False
            self.gate.release()


def gated_connection_class(database: str, wait: float) -> type[GatedConnection]:
    """The connection class (``sqlite3.connect(factory=…)``) of one database file: every engine of the process on
    that file shares its gate."""
    with _gates_lock:
        found = _gates.get(database)
        if found is None:
            found = _gates[database] = type("GatedConnection", (GatedConnection,),
                                            {"gate": threading.Lock(), "wait": wait})
        return found
