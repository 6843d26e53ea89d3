"""``relais run --once`` processes everything that is due, or exits non-zero saying how much is left.

It used to stop following a demand's chain of events after 10,000 rounds and exit 0 with the rest pending: a demand
with many queued events (a migration, a partner back after days) was silently left half-delivered.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from hub.core import delivery
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.conftest import env_for
from tests.factories import decision, write_decisions

NUMERO = "0631126000777G6301"


def _queue(settings, count: int) -> None:
    write_decisions(settings.home / "inbox" / "bailleurs", "chain.json",
                    [decision(numero_unique=NUMERO) for _ in range(count)])


def test_once_delivers_a_chain_longer_than_a_worker_follows(hub_settings, monkeypatch) -> None:
    monkeypatch.setattr(delivery, "CHAIN_ROUNDS", 3)    # a worker hands a chain to the sweep after 3 rounds
    _queue(hub_settings, 25)                             # 25 events of one demand: 25 rounds, in order
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        seen = []
        summary = hub.run_once(on_progress=seen.append)
        assert summary.delivered["habisoft"] == 25
        assert summary.left["habisoft"].total == 0 and summary.unfinished == 0
        assert hub.journal.delivery_counts() == {("habisoft", "delivered"): 25}
        assert seen and seen[-1] == 25 and seen == sorted(seen)


@pytest.mark.parametrize("backend", ["rabbitmq_postgres"])
def test_once_exits_4_and_says_what_is_left(hub_settings) -> None:
    """A delivery another hub process holds (its claim's lease still running) cannot be made by this run: exit 4."""
    _queue(hub_settings, 3)
    env = env_for(hub_settings, RELAIS_PLUGINS="bailleurs,habisoft")
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        hub.inbox.scan()
        [first] = hub.journal.claim("habisoft", [min(r["seq"] for r in hub.journal.history(NUMERO))])
    run = subprocess.run([sys.executable, "-m", "hub", "run", "--once"], capture_output=True, text=True, env=env,
                         timeout=120)
    assert run.returncode == 4, run.stdout + run.stderr
    assert "left habisoft: 3 due" in run.stdout            # the claimed one, and the two waiting behind it
    assert "nothing was waiting" not in run.stdout
    assert "\nError: 3 delivery(ies) due were not made" in "\n" + run.stderr
