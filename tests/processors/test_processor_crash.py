"""kill -9 between a processor's journal commit and its bus acknowledgement: after a restart every derived event is
in the journal exactly once, and the projection counted every input once."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from hub.core.journal_schema import dead_letters, events
from tests.conftest import env_for
from tests.factories import decision, numero_unique, write_decisions
from tests.processors.plugin import compte

ROOT = Path(__file__).resolve().parents[2]
N = 400


def _run_once(settings, **extra: str) -> subprocess.CompletedProcess:
    env = env_for(settings, RELAIS_PLUGINS="bailleurs,habisoft", RELAIS_EXTRA_PLUGINS="tests.processors.plugin",
                  RELAIS_LOG_LEVEL="error", RELAIS_BATCH_SIZE="50", **extra)
    env["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-m", "hub", "run", "--once", "--no-progress"], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.slow
def test_kill_after_the_processor_commit_then_restart_finds_every_derived_event_once(hub_settings):
    decisions = [decision() for _ in range(N)]
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", decisions)

    killed = _run_once(hub_settings, RELAIS_FAILPOINTS="after_processor_commit")
    assert killed.returncode == -9, killed.stderr[-2000:]
    engine = create_engine(hub_settings.journal.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            before = conn.execute(select(events.c.id).where(events.c.source == "contingents")).all()
        assert 0 < len(before) < N * 2, "the kill came after the first processor commit, not before or at the end"

        finished = _run_once(hub_settings)
        assert finished.returncode == 0, finished.stderr[-3000:]
        with engine.connect() as conn:
            derived = [json.loads(b) for (b,) in conn.execute(
                select(events.c.body).where(events.c.source == "contingents"))]
            counts = dict(conn.execute(select(compte.c.numero_unique, compte.c.decisions)).all())
    finally:
        engine.dispose()
    per_cause = Counter(d["causationid"] for d in derived if d["causationid"])
    assert len(per_cause) == N and set(per_cause.values()) == {1}, "every decision derived exactly one event"
    assert counts == {d["numero_unique"]: 1 for d in decisions}, "the projection counted every decision once"


@pytest.mark.slow
def test_an_input_that_kills_the_process_ends_alone_in_the_dead_letters(hub_settings):
    """A processor's batch is claimed in the transaction that commits its outcome, so a process killed while
    handling it leaves no trace of the attempt; what a dead process may have held is therefore taken the careful
    way after the restart (claim committed first, counted) — the culprit is dead-lettered after ``max_attempts``
    more crashes instead of killing every restart, and every other decision is handled once."""
    culprit = numero_unique()
    decisions = [decision() for _ in range(60)]
    decisions[30] = decision(numero_unique=culprit)
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", decisions)
    extra = {"RELAIS_CONNECTORS__CONTINGENTS__CRASH_ON": culprit, "RELAIS_RETRY__MAX_ATTEMPTS": "3",
             "RELAIS_LEASE": "3"}
    crashes = 0
    while (run := _run_once(hub_settings, **extra)).returncode == -9:
        crashes += 1
        assert crashes <= 4, "the culprit kills every restart: its crashes are not counted"
    assert run.returncode in (0, 4), run.stderr[-3000:]
    assert crashes == 4   # the one-transaction attempt, then max_attempts counted ones
    engine = create_engine(hub_settings.journal.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            derived = [json.loads(b) for (b,) in conn.execute(
                select(events.c.body).where(events.c.source == "contingents"))]
            counts = dict(conn.execute(select(compte.c.numero_unique, compte.c.decisions)).all())
            dead = conn.execute(select(dead_letters.c.connector, dead_letters.c.reason)).all()
    finally:
        engine.dispose()
    assert [c for c, _ in dead] == ["contingents"] and "may be what crashes it" in dead[0][1]
    assert counts == {d["numero_unique"]: 1 for d in decisions if d["numero_unique"] != culprit}
    per_cause = Counter(d["causationid"] for d in derived if d["causationid"])
    assert len(per_cause) == len(decisions) - 1 and set(per_cause.values()) == {1}
