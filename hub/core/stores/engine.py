"""The one SQLAlchemy engine every journal store shares: SQLite (embedded) or PostgreSQL (at scale), with the
pragmas and timeouts the journal relies on.

Why in one place: the journal, its schema migrations (``relais db``) and the stores must see the same database the
same way — the embedded file created owner-only, WAL and full sync on SQLite, its writers queued on one lock of the
process (:mod:`hub.core.stores.sqlite_gate`), connect and statement timeouts on PostgreSQL.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import make_url

from hub.core.private import private_dir, private_file
from hub.core.stores.sqlite_gate import gated_connection_class

__all__ = ["make_engine", "PING_AFTER_IDLE"]

#: Seconds a pooled PostgreSQL connection may rest before it is pinged on checkout. Why not ping every checkout
#: (``pool_pre_ping``): a round trip, and a GIL hand-over, at the start of each of the four transactions on every
#: event's way (append, relay, claim, outcome) — at 1,000 events/s the pool's connections rest a few milliseconds.
#: Why ping at all: after a database restart a resting connection is dead, and its first statement would fail
#: instead of the pool reconnecting quietly; a restart takes longer than this, so a connection used since it came back
#: is alive, and one used before it went down rested longer than this.
PING_AFTER_IDLE = 0.5


def _private_sqlite_files(url: str) -> None:
    """The embedded journal holds nominative data: create it (and its WAL and shared-memory files, which SQLite
    creates with the database file's mode) owner-only, and tighten a journal an older release created 0644."""
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        return
    path = Path(database)
    private_dir(path.parent)
    private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        companion = path.with_name(path.name + suffix)
        if companion.exists():
            private_file(companion)


def make_engine(url: str, *, connect_timeout: float = 10.0, statement_timeout: float = 60.0) -> Engine:
    if url.startswith("sqlite"):
        _private_sqlite_files(url)
        database = make_url(url).database or ""
        connect_args: dict[str, Any] = {"timeout": 60, "check_same_thread": False}
        if database and database != ":memory:":   # an in-memory database is one connection's own: nothing to share
            connect_args["factory"] = gated_connection_class(str(Path(database).resolve()), wait=60)
        engine = create_engine(url, connect_args=connect_args)

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # WAL: readers never block the writer; FULL sync: a commit survives a crash
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA busy_timeout=60000")
            _wal(cur)
            cur.execute("PRAGMA synchronous=FULL")
            cur.close()
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    # Why both timeouts: a journal that accepts TCP and never answers must not hang a start or a request for
    # minutes (connect), and a statement stuck behind a lock must fail and be retried rather than hold a worker
    # forever (statement_timeout, set per connection so the URL's own options — a search_path — are kept).
    # Why ``$n`` placeholders and psycopg's RawCursor: psycopg converts ``%(name)s`` placeholders into ``$n`` in
    # Python for every statement, caching only short ones; a batch's INSERT … VALUES of 500 rows (thousands of
    # placeholders) was converted anew each time — a quarter of the RabbitMQ + PostgreSQL hub's CPU (py-spy,
    # bench/README.md). SQLAlchemy renders ``$n`` itself, and RawCursor sends them as they are (same server-side
    # binding). Driver-level SQL on this engine must use ``$n`` too.
    engine = create_engine(url, pool_size=5, max_overflow=10, pool_timeout=connect_timeout,
                           paramstyle="numeric_dollar",
                           connect_args={"connect_timeout": max(1, round(connect_timeout)),
                                         "cursor_factory": psycopg.RawCursor})
    statement_ms = max(1, round(statement_timeout * 1000))

    @event.listens_for(engine, "connect")
    def _timeouts(dbapi_conn, _record):
        cur = dbapi_conn.cursor()
        cur.execute(f"SET statement_timeout = {statement_ms}")
        cur.close()
        dbapi_conn.commit()

    _ping_rested(engine)
    return engine


def _ping_rested(engine: Engine) -> None:
    """``pool_pre_ping`` for connections that rested more than ``PING_AFTER_IDLE`` seconds only: a dead one found
    so is dropped with every connection pooled before it, and the pool connects anew (as ``pool_pre_ping`` does)."""

    @event.listens_for(engine, "checkin")
    def _rested_from(dbapi_conn, record):
        if dbapi_conn is not None:
            record.info["checked_in"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping(dbapi_conn, record, _proxy):
        if time.monotonic() - record.info.get("checked_in", float("-inf")) < PING_AFTER_IDLE:
            return
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as error:
            if engine.dialect.is_disconnect(error, dbapi_conn, None):
                raise exc.InvalidatePoolError() from error   # the pool reconnects, as after a failed pre-ping
            raise


def _wal(cur: Any) -> None:
    """Switch the file to WAL. Several processes opening a journal still in rollback mode (one from an older release,
    or a copy) at once: the switch needs the file to itself and SQLite answers "database is locked" at once rather
    than through the busy timeout — so it is tried again for as long as that timeout (once one process switched,
    the others find WAL and pass)."""
    deadline = time.monotonic() + 60
    while True:
        try:
            cur.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)
