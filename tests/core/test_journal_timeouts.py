"""A journal that does not answer costs seconds, never minutes: PostgreSQL connect and statement timeouts, the
gateway's 503 and /healthz within ``journal_timeout``, and ``relais run`` waiting for an unreachable journal at start
(one line per attempt) instead of dying with a traceback."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

from hub.core.ingest import IngestReport
from hub.core.journal import Journal
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import create_app
from hub.settings import HubSettings
from tests.conftest import env_for
from tests.factories import decision, decisions_document
from tests.sdk.conftest import with_connectors


@pytest.fixture
def silent_server():
    """A TCP server on loopback that accepts connections and never says a word (a hung database)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        server.close()


def test_connecting_to_a_journal_that_never_answers_fails_within_the_timeout(silent_server):
    started = time.monotonic()
    with pytest.raises(OperationalError):
        Journal(f"postgresql+psycopg://relais@127.0.0.1:{silent_server}/relais", connect_timeout=1)
    assert time.monotonic() - started < 10


@pytest.mark.postgres
def test_a_statement_over_the_statement_timeout_is_cancelled(pg_schema_url):
    journal = Journal(pg_schema_url, statement_timeout=0.5)
    try:
        with pytest.raises(OperationalError, match="statement timeout"), journal.engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(5)"))
    finally:
        journal.close()


def test_the_gateway_answers_503_within_the_journal_timeout(hub_settings):
    settings = with_connectors(hub_settings.model_copy(update={"journal_timeout": 1.0}), bailleurs={"api_keys": ["k"]})
    release = threading.Event()
    with Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        hub.ingestor.commit = lambda *a, **k: release.wait(30) and IngestReport()   # the journal hangs
        hub.journal.outbox_size = lambda: release.wait(30)
        with TestClient(create_app(hub)) as client:
            try:
                started = time.monotonic()
                answer = client.post("/v1/inbound/bailleurs", headers={"X-Relais-Api-Key": "k"},
                                     content=json.dumps(decisions_document([decision()])).encode())
                health = client.get("/healthz")
                elapsed = time.monotonic() - started
            finally:
                release.set()   # before the gateway stops: it finishes the commit in hand
    assert answer.status_code == 503 and "did not answer within 1s" in answer.json()["detail"]
    assert answer.headers["Retry-After"] == "5"
    assert health.status_code == 503 and health.json()["journal"] == "timeout"
    assert elapsed < 6


def test_relais_run_waits_for_an_unreachable_journal_and_stops_cleanly(tmp_path):
    settings = HubSettings(home=tmp_path / "home", namespace="unreachable")
    env = env_for(settings, RELAIS_JOURNAL_URL="postgresql+psycopg://relais@127.0.0.1:1/relais",
                  RELAIS_BROKER_URL="memory://", RELAIS_PLUGINS="bailleurs,habisoft")
    process = subprocess.Popen([sys.executable, "-m", "hub", "run"], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(4)
        assert process.poll() is None, "relais run gave up instead of waiting for the journal"
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, err
    assert "Traceback" not in err
    attempts = [line for line in err.splitlines() if "is unreachable" in line]
    assert len(attempts) >= 2 and all("retrying in" in line and "127.0.0.1:1" in line for line in attempts)
    assert "stopped before the journal" in out


@pytest.mark.postgres
def test_a_pooled_connection_killed_while_resting_is_replaced_quietly(pg_schema_url, monkeypatch):
    """The pool pings a connection that rested (as after a database restart) and reconnects instead of failing the
    journal's next transaction; a connection used moments ago is not pinged (no round trip on the hot path)."""
    from hub.core.stores import engine as engine_module

    journal = Journal(pg_schema_url)
    try:
        def backend() -> int:
            with journal.engine.connect() as conn:
                return conn.execute(text("SELECT pg_backend_pid()")).scalar_one()

        first = backend()
        admin = create_engine(pg_schema_url.replace("postgresql://", "postgresql+psycopg://"))
        with admin.begin() as conn:   # the database ends the resting connection, as a restart would
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
        admin.dispose()
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE", 0.0)   # every pooled connection has "rested"
        assert journal.count_events() == 0, "the journal's next transaction failed on a dead pooled connection"
        second = backend()
        assert second != first

        pings = []
        monkeypatch.setattr(journal.engine.dialect, "do_ping", lambda conn: pings.append(conn) or True)
        monkeypatch.setattr(engine_module, "PING_AFTER_IDLE", 60.0)
        for _ in range(3):
            assert backend() == second
        assert pings == []
    finally:
        journal.close()
