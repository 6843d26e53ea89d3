"""The embedded journal's writers queue on a lock of the process (hub.core.stores.sqlite_gate): a writer waits for
the one writing, a reader never waits, the gate is given back however the transaction ends, and a writer that
waited too long gets SQLite's own error."""

from __future__ import annotations

import sqlite3
import threading
import uuid

import pytest

from hub.core.stores.engine import make_engine
from hub.core.stores.sqlite_gate import GatedConnection, gated_connection_class


def _connect(path, wait: float = 5.0) -> sqlite3.Connection:
    # a class of its own per test (a unique key): the gate is shared by every connection to one file
    factory = gated_connection_class(f"{path}#{uuid.uuid4()}", wait=wait)
    return sqlite3.connect(path, timeout=wait, factory=factory, check_same_thread=False)


@pytest.fixture
def database(tmp_path):
    path = tmp_path / "j.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("CREATE TABLE t (n INTEGER)")
    conn.commit()
    conn.close()
    return path


def _pair(path, wait: float = 5.0) -> tuple[sqlite3.Connection, sqlite3.Connection]:
    first = _connect(path, wait)
    second = sqlite3.connect(path, timeout=wait, factory=type(first), check_same_thread=False)
    return first, second


def _in_thread(work) -> tuple[threading.Thread, list]:
    outcome: list = []

    def run():
        try:
            outcome.append(work())
        except Exception as exc:  # the test asserts on it
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


def test_a_writer_waits_for_the_one_writing_and_goes_once_it_commits(database):
    first, second = _pair(database)
    first.execute("INSERT INTO t VALUES (1)")            # a write transaction open, the gate held
    thread, outcome = _in_thread(lambda: (second.execute("INSERT INTO t VALUES (2)"), second.commit()))
    thread.join(0.3)
    assert thread.is_alive() and outcome == [], "the second writer waits on the gate"
    first.commit()
    thread.join(10)
    assert not thread.is_alive() and not isinstance(outcome[0], Exception)
    assert sorted(n for (n,) in first.execute("SELECT n FROM t")) == [1, 2]


def test_a_reader_never_waits(database):
    first, second = _pair(database)
    first.execute("INSERT INTO t VALUES (1)")
    thread, outcome = _in_thread(lambda: second.execute("SELECT count(*) FROM t").fetchone())
    thread.join(10)
    assert outcome == [(0,)], "the reader saw the last committed state, without waiting"
    first.rollback()


def test_the_gate_is_given_back_by_a_rollback_from_another_thread_and_by_close(database):
    first, second = _pair(database)
    first.execute("INSERT INTO t VALUES (1)")
    thread, _ = _in_thread(first.rollback)               # as a pool resetting a connection elsewhere
    thread.join(10)
    second.execute("INSERT INTO t VALUES (2)")
    second.close()                                       # closed with its transaction open: rolled back, gate freed
    first.execute("INSERT INTO t VALUES (3)")
    first.commit()
    assert [n for (n,) in first.execute("SELECT n FROM t")] == [3]


def test_a_writer_that_waited_too_long_gets_sqlites_own_error(database):
    first, second = _pair(database, wait=0.2)
    first.execute("INSERT INTO t VALUES (1)")
    with pytest.raises(sqlite3.OperationalError, match="database is locked"):
        second.execute("INSERT INTO t VALUES (2)")
    first.commit()
    second.execute("INSERT INTO t VALUES (2)")           # free again
    second.commit()


def test_every_engine_of_the_process_on_one_journal_shares_one_gate(tmp_path):
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    engines = [make_engine(url), make_engine(url)]
    try:
        raw = [e.raw_connection() for e in engines]
        assert all(isinstance(r.driver_connection, GatedConnection) for r in raw)
        assert type(raw[0].driver_connection).gate is type(raw[1].driver_connection).gate
        for r in raw:
            r.close()
    finally:
        for e in engines:
            e.dispose()
