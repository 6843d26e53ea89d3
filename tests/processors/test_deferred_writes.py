"""``ctx.write``: a processor's projection writes deferred to the end of its batch, run as one executemany per
statement in the batch's transaction — with the guarantees of writes made at once: in order, visible to the
processor's reads, committed with the batch or not at all, and a failing event fails alone."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, create_engine, select
from sqlalchemy.event import listen

from hub.core.journal_schema import DeliveryStatus as S
from hub.core.journal_schema import deliveries, events
from hub.core.plugins import PluginHost
from hub.core.processing import DeferredWrites, DeferredWritesFailed, ProcessContext
from hub.core.runtime import Hub
from tests.conftest import AMQP_URL, env_for
from tests.factories import decision, numero_unique, write_decisions
from tests.processors.conftest import NOW, step_batches, with_sections
from tests.processors.deferred_plugin import lignes

ROOT = Path(__file__).resolve().parents[2]
PLUGIN = "tests.processors.deferred_plugin"


@pytest.fixture
def make_hub(hub_settings):
    made: list[Hub] = []

    def make(settings) -> Hub:
        made.append(Hub(settings, PluginHost.load(allow=["bailleurs"], extra=[PLUGIN]), clock=lambda: NOW))
        return made[-1]
    yield make
    if hub_settings.broker_url.startswith("amqp"):   # the namespace's clean-up does not know this test's queue
        from kombu import Connection
        with Connection(AMQP_URL) as conn:
            conn.default_channel.queue_delete(f"{hub_settings.namespace}.q.ecritures")


def _rows(hub: Hub) -> list[tuple]:
    with hub.journal.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(lignes.c.numero_unique, lignes.c.rang).order_by(lignes.c.id))]


def _with_retries(settings, **section):
    settings = with_sections(settings, ecritures=section)
    return settings.model_copy(update={"retry": settings.retry.model_copy(update={"max_attempts": 2,
                                                                                   "base_delay": 0.01})})


def _until_dead_letter(hub: Hub) -> list[dict]:
    deadline = time.monotonic() + 30
    while not hub.journal.dead_letters(connector="ecritures") and time.monotonic() < deadline:
        hub.run_once()      # on RabbitMQ the retry comes back through a delay queue
        time.sleep(0.1)
    return hub.journal.dead_letters(connector="ecritures")


# --- the collector itself ---------------------------------------------------------------------------------------
_meta = MetaData()
_kv = Table("kv", _meta, Column("k", String(10), primary_key=True), Column("v", Integer, nullable=False))


@pytest.fixture
def sqlite_conn():
    engine = create_engine("sqlite://")
    _meta.create_all(engine)
    statements: list[tuple[str, bool]] = []
    listen(engine, "before_cursor_execute",
           lambda _c, _cur, statement, _p, _ctx, many: statements.append((statement.split()[0], many)))
    with engine.begin() as conn:
        yield conn, statements
    engine.dispose()


def test_deferred_writes_run_in_order_one_executemany_per_run_of_a_statement(sqlite_conn):
    conn, statements = sqlite_conn
    insert = _kv.insert()                 # built once, as ctx.write wants
    bump = _kv.update().values(v=_kv.c.v + 1)
    writes = DeferredWrites(conn)
    ctx = ProcessContext(conn, None, NOW, writes=writes)   # type: ignore[arg-type]
    ctx.write(insert, {"k": "a", "v": 1})
    ctx.write(insert, {"k": "b", "v": 2})
    ctx.write(bump)                       # applies to both rows: it must run after both inserts
    ctx.write(insert, {"k": "c", "v": 10})
    assert statements == []               # nothing ran yet
    writes.flush()
    assert statements == [("INSERT", True), ("UPDATE", False), ("INSERT", False)]
    assert dict(conn.execute(select(_kv.c.k, _kv.c.v)).all()) == {"a": 2, "b": 3, "c": 10}


def test_reading_through_ctx_conn_sees_every_write_deferred_before(sqlite_conn):
    conn, _statements = sqlite_conn
    writes = DeferredWrites(conn)
    ctx = ProcessContext(conn, None, NOW, writes=writes)   # type: ignore[arg-type]
    ctx.write(_kv.insert(), {"k": "a", "v": 1})
    assert ctx.conn.execute(select(_kv.c.v).where(_kv.c.k == "a")).scalar() == 1
    assert writes.pending == []


def test_without_a_batch_a_write_runs_at_once(sqlite_conn):
    conn, _statements = sqlite_conn
    ProcessContext(conn, None, NOW).write(_kv.insert(), {"k": "a", "v": 1})   # type: ignore[arg-type]
    assert conn.execute(select(_kv.c.v)).scalar() == 1


def test_a_refused_deferred_write_raises_the_control_flow_error_with_its_cause(sqlite_conn):
    conn, _statements = sqlite_conn
    writes = DeferredWrites(conn)
    writes.add(_kv.insert(), {"k": "a", "v": None})
    with pytest.raises(DeferredWritesFailed, match="IntegrityError"):
        writes.flush()
    assert writes.failed is not None


# --- in a running hub, both backends ------------------------------------------------------------------------------
def test_a_batch_s_deferred_writes_are_committed_once_and_seen_by_later_reads(hub_settings, make_hub):
    decisions = [decision() for _ in range(6)]
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", decisions)
    with make_hub(with_sections(hub_settings, ecritures={"lire": True})) as hub:
        assert hub.run_once().delivered["ecritures"] == 6
        written = _rows(hub)
    assert sorted(nu for nu, _ in written) == sorted(d["numero_unique"] for d in decisions)
    # each event read the rows of every event handled before it, in its batch too
    assert [rang for _, rang in written] == list(range(6))


def test_a_write_only_batch_reaches_the_database_as_one_statement(hub_settings, make_hub):
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [decision() for _ in range(5)])
    with make_hub(hub_settings) as hub:
        assert step_batches(hub, "ecritures", 5, "before_cursor_execute", lambda _conn, _cursor, statement, *_: (
            statement.lstrip().upper().startswith("INSERT INTO ECRITURES_LIGNES"))) == 5
        assert len(_rows(hub)) == 5


def test_an_event_failing_after_others_deferred_writes_fails_alone(hub_settings, make_hub):
    bad, good = decision(), [decision(), decision()]
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [good[0], bad, good[1]])
    with make_hub(_with_retries(hub_settings, echoue_sur=bad["numero_unique"])) as hub:
        dead = _until_dead_letter(hub)
        assert len(dead) == 1 and "simulated failure" in dead[0]["reason"]
        assert sorted(nu for nu, _ in _rows(hub)) == sorted(g["numero_unique"] for g in good)   # each once
        assert hub.journal.delivery_counts("ecritures")[("ecritures", S.DELIVERED)] == 2


def test_a_write_refused_when_the_batch_s_writes_run_fails_its_own_event_alone(hub_settings, make_hub):
    """Which event's write the database refused is not known when they run together: the batch is handled again
    with each write run at once, and only that event is retried, then dead-lettered."""
    bad, good = decision(), [decision(), decision(), decision()]
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [good[0], bad, good[1], good[2]])
    with make_hub(_with_retries(hub_settings, casse_sur=bad["numero_unique"])) as hub:
        dead = _until_dead_letter(hub)
        assert len(dead) == 1 and "IntegrityError" in dead[0]["reason"]
        assert sorted(nu for nu, _ in _rows(hub)) == sorted(g["numero_unique"] for g in good)
        with hub.journal.engine.connect() as conn:
            derived = conn.execute(select(events.c.subject).where(events.c.source == "ecritures")).scalars().all()
        assert sorted(derived) == sorted(g["numero_unique"] for g in good)



def test_on_the_careful_way_too_a_refused_write_fails_its_own_event_alone(hub_settings, make_hub):
    """Events journaled before the process started are claimed in a transaction of their own first (they may have
    been in a dead process's hands): the deferred writes' failure is handled the same way there."""
    bad, good = decision(), [decision(), decision()]
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", [good[0], bad, good[1]])
    settings = _with_retries(hub_settings, casse_sur=bad["numero_unique"])
    with make_hub(settings) as hub:
        hub.start()
        hub.inbox.scan()                  # journaled by this process, which stops before handling them
    with make_hub(settings) as hub:
        dead = _until_dead_letter(hub)
        assert hub.workers["ecritures"]._journaled_before_start > 0
        assert len(dead) == 1 and "IntegrityError" in dead[0]["reason"]
        assert sorted(nu for nu, _ in _rows(hub)) == sorted(g["numero_unique"] for g in good)

# --- kill -9 in the middle of a batch -----------------------------------------------------------------------------
def _run_once(settings, **extra: str) -> subprocess.CompletedProcess:
    env = env_for(settings, RELAIS_PLUGINS="bailleurs", RELAIS_EXTRA_PLUGINS=PLUGIN, RELAIS_LOG_LEVEL="error",
                  RELAIS_BATCH_SIZE="50", **extra)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "hub", "run", "--once", "--no-progress"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


def _committed(settings) -> tuple[set[str], list[str], list[str]]:
    """The ids of the events recorded as delivered to ``ecritures``, the event ids of its rows, the causes of what
    it derived."""
    engine = create_engine(settings.journal.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            delivered = set(conn.execute(select(events.c.id).join(deliveries, deliveries.c.seq == events.c.seq)
                                         .where(deliveries.c.subscriber == "ecritures",
                                                deliveries.c.status == S.DELIVERED)).scalars())
            written = conn.execute(select(lignes.c.event_id)).scalars().all()
            causes = [json.loads(b)["causationid"] for b in conn.execute(
                select(events.c.body).where(events.c.source == "ecritures")).scalars()]
    finally:
        engine.dispose()
    return delivered, written, causes


@pytest.mark.slow
def test_a_process_killed_in_a_batch_commits_none_of_its_deferred_writes(hub_settings):
    culprit = numero_unique()
    decisions = [decision() for _ in range(30)]
    decisions[20] = decision(numero_unique=culprit)
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", decisions)

    killed = _run_once(hub_settings, RELAIS_CONNECTORS__ECRITURES__TUE_SUR=culprit)
    assert killed.returncode == -9, killed.stderr[-2000:]
    delivered, written, causes = _committed(hub_settings)
    assert len(delivered) < len(decisions)
    # what was committed is whole batches: rows and derived events of delivered events only, each once
    assert sorted(written) == sorted(delivered) and sorted(causes) == sorted(delivered)

    finished = _run_once(hub_settings)
    assert finished.returncode == 0, finished.stderr[-3000:]
    delivered, written, causes = _committed(hub_settings)
    assert len(delivered) == len(decisions)
    assert sorted(written) == sorted(delivered) and sorted(causes) == sorted(delivered)

