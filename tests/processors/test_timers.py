"""Timers: kept in the journal, fired once — across a restart, by `relais tick` run twice, and by two processes
firing at once on one PostgreSQL journal."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, timedelta

from sqlalchemy import select

from hub.core.journal_schema import TimerStatus, events, timers
from hub.core.processing import derived_id, end_of_day
from tests.conftest import env_for
from tests.factories import decision as any_decision
from tests.factories import write_decisions
from tests.processors.conftest import NOW, rows
from tests.processors.plugin import compte

ROOT = __import__("pathlib").Path(__file__).resolve().parents[2]
COMMISSION = NOW.date()
DUE = COMMISSION + timedelta(days=30)


def _decisions(n: int) -> list[dict]:
    return [any_decision(date_commission=COMMISSION.isoformat()) for _ in range(n)]


def _timer_events(hub) -> list[str]:
    with hub.journal.engine.connect() as conn:
        bodies = [json.loads(b) for (b,) in conn.execute(
            select(events.c.body).where(events.c.type == "contingents_eligibles.v1").order_by(events.c.seq))]
    return [b["subject"] for b in bodies if b["causationid"] is None]   # derived from a timer, not an event


def _timer_states(hub) -> dict[str, str]:
    with hub.journal.engine.connect() as conn:
        return {k: s for k, s in conn.execute(select(timers.c.key, timers.c.status))}


def test_a_timer_fires_once_at_its_date_even_across_a_restart(hub_settings, make_hub):
    decisions = _decisions(3)
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", decisions)
    with make_hub(hub_settings) as hub:
        hub.run_once()
        assert set(_timer_states(hub).values()) == {TimerStatus.PENDING}
        assert hub.tick(end_of_day(DUE - timedelta(days=1))).timers_fired == 0   # the day before: nothing
    with make_hub(hub_settings) as hub:                                           # a restart: still pending
        summary = hub.tick(end_of_day(DUE))
        assert summary.timers_fired == 3
        assert summary.delivered["contingents"] == 0     # timers derive; the processor's queue had nothing
        assert sorted(_timer_events(hub)) == sorted(d["numero_unique"] for d in decisions)
        assert {r[0]: r[2] for r in rows(hub, compte)} == {d["numero_unique"]: 1 for d in decisions}
    with make_hub(hub_settings) as hub:                                           # the same day again: nothing
        assert hub.tick(end_of_day(DUE)).timers_fired == 0
        assert hub.tick(end_of_day(DUE + timedelta(days=400))).timers_fired == 0
        assert len(_timer_events(hub)) == 3
        nu = decisions[0]["numero_unique"]
        with hub.journal.engine.connect() as conn:
            [body] = [json.loads(b) for (b,) in conn.execute(select(events.c.body).where(
                events.c.id == derived_id("contingents", f"timer\x1frelance:{nu}", 0)))]
        assert body["data"]["date_evaluation"] == DUE.isoformat() and body["source"] == "contingents"


def test_setting_a_timer_again_before_it_fires_moves_it(hub_settings, make_hub):
    nu_decisions = _decisions(1)
    later = dict(nu_decisions[0], id=nu_decisions[0]["id"] + "-B",
                 date_commission=(COMMISSION + timedelta(days=10)).isoformat())
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "a.json", nu_decisions)
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "b.json", [later])
    with make_hub(hub_settings) as hub:
        hub.run_once()
        assert hub.tick(end_of_day(DUE)).timers_fired == 0            # moved 10 days later by the second decision
        assert hub.tick(end_of_day(DUE + timedelta(days=10))).timers_fired == 1


def test_relais_tick_twice_on_the_same_day_fires_once(hub_settings, make_hub, tmp_path):
    write_decisions(hub_settings.home / "inbox" / "bailleurs", "cal.json", _decisions(2))
    with make_hub(hub_settings) as hub:
        hub.run_once()
    env = _env(hub_settings)
    outs = [_tick(env, DUE) for _ in range(2)]
    assert [o.returncode for o in outs] == [0, 0], outs[0].stderr
    assert "2 timer(s) fired" in outs[0].stdout and "0 timer(s) fired" in outs[1].stdout


def _env(settings):
    env = env_for(settings, RELAIS_PLUGINS="bailleurs,habisoft,dossier", RELAIS_EXTRA_PLUGINS="tests.processors.plugin",
                  RELAIS_LOG_LEVEL="warning")
    env["PYTHONPATH"] = str(ROOT)
    return env


def _tick(env, day: date) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "hub", "tick", "--at", day.isoformat()], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_two_processes_ticking_at_once_on_one_postgresql_journal_fire_each_timer_once(pg_schema_url, amqp_namespace,
                                                                                       tmp_path, make_hub):
    from hub.settings import HubSettings
    from tests.conftest import AMQP_URL
    settings = HubSettings(home=tmp_path / "a", journal_url=pg_schema_url, broker_url=AMQP_URL,
                           namespace=amqp_namespace, seed_examples=False, batch_wait=0.02)
    decisions = _decisions(300)
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", decisions)
    with make_hub(settings) as hub:
        hub.run_once()
        assert len(_timer_states(hub)) == 300
    envs = [_env(settings), _env(HubSettings(**{**settings.model_dump(), "home": tmp_path / "b"}))]
    procs = [subprocess.Popen([sys.executable, "-m", "hub", "tick", "--at", DUE.isoformat()], cwd=ROOT, env=e,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for e in envs]
    outs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    fired = [int(o[0].split(" timer(s) fired")[0].rsplit(" ", 1)[1]) for o in outs]
    assert sum(fired) == 300, outs
    with make_hub(settings) as hub:
        assert set(_timer_states(hub).values()) == {TimerStatus.FIRED}
        subjects = _timer_events(hub)
        assert sorted(subjects) == sorted(d["numero_unique"] for d in decisions)   # each exactly once
        assert all(r[2] == 1 for r in rows(hub, compte))
