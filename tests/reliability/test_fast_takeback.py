"""A process that restarts after a ``kill -9`` takes back its dead predecessor's claims at once, not after the claim's
lease (up to 500 claims used to wait the full 300 s); and any process takes back the claims of an instance whose
heartbeat stopped. Nothing is lost or delivered twice meanwhile."""

from __future__ import annotations

import subprocess
import sys
import time
from datetime import timedelta

import pytest
from sqlalchemy import update

from hub.core.instances import InstanceRegistry
from hub.core.journal import Journal, Route, utcnow
from hub.core.journal_schema import instances
from tests.core.test_journal_times import _event
from tests.reliability.conftest import (
    assert_exactly_once_in_order, delivery_rows, settings_with, subprocess_env, wait_until, write_batch,
)

N = 400


@pytest.mark.parametrize("backend", ["rabbitmq_postgres"])
def test_a_restart_after_kill_9_takes_back_the_claims_at_once(hub_settings, partner, hub_processes):
    settings = settings_with(hub_settings, {"partner": partner.url}, lease=300.0, delivery_timeout=60.0)
    write_batch(settings.home / "inbox" / "bailleurs", N)
    env = subprocess_env(settings)
    partner.hang.set()                                   # the partner stops answering: claims stay in hand
    first = hub_processes(env).start()
    wait_until(lambda: any(r["status"] == "delivering" for r in delivery_rows(settings, "partner")),
               timeout=60, what="claims held by the first process")
    first.kill()
    partner.hang.clear()
    started = time.monotonic()
    second = hub_processes(env).start()
    partner.wait_for(N, timeout=90, what="every event, without waiting for the 300 s lease")
    assert time.monotonic() - started < 90
    assert second.terminate() == 0, second.output()[-3000:]
    assert_exactly_once_in_order(partner, settings, expected=N)


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request, tmp_path):
    url = f"sqlite:///{tmp_path / 'j.sqlite3'}" if request.param == "sqlite" else request.getfixturevalue(
        "pg_schema_url")
    journal = Journal(url)
    yield journal
    journal.close()


def _claimed_by(journal: Journal, registry: InstanceRegistry, seq: int) -> None:
    [claimed] = journal.claim("partner", [seq], claimed_by=registry.id)
    assert claimed.seq == seq


def _one_delivery(journal: Journal, numero: str = "0631126000321G6301") -> int:
    journal.router = lambda _e: [Route("partner", True)]
    [(seq, _e)] = journal.append([_event(numero, utcnow())]).inserted
    return seq


def test_the_claims_of_a_process_gone_from_this_host_come_back_at_the_next_sweep(journal, tmp_path):
    seq = _one_delivery(journal)
    before = InstanceRegistry(journal.engine)
    before.register(tmp_path)
    _claimed_by(journal, before, seq)
    with journal.engine.begin() as conn:   # it was killed: its pid is gone
        conn.execute(update(instances).where(instances.c.id == before.id).values(pid=_dead_pid()))
    restarted = InstanceRegistry(journal.engine)
    restarted.register(tmp_path)            # finds its dead predecessor on this host
    expiry = journal.expire_leases("partner", lease=300, max_attempts=8, dead_instances=restarted.dead())
    assert expiry.released == [seq]


def test_claims_of_a_silent_instance_come_back_and_a_beating_ones_stay(journal, tmp_path):
    seq_silent, seq_alive = _one_delivery(journal), _one_delivery(journal, "0631126000322G6301")
    silent, alive, sweeper = (InstanceRegistry(journal.engine) for _ in range(3))
    for registry in (silent, alive, sweeper):
        registry.register(tmp_path)
    _claimed_by(journal, silent, seq_silent)
    with journal.engine.begin() as conn:   # another host's process that stopped beating a minute ago
        conn.execute(update(instances).where(instances.c.id == silent.id).values(
            host="elsewhere", heartbeat_at=utcnow() - timedelta(seconds=60)))
    _claimed_by(journal, alive, seq_alive)
    alive.beat()
    expiry = journal.expire_leases("partner", lease=300, max_attempts=8, dead_instances=sweeper.dead())
    assert expiry.released == [seq_silent]
