"""Several hub processes on RabbitMQ + PostgreSQL share the work — the outbox relay and each partner's queue —
and when one is killed the others finish its work: nothing lost, nothing accepted twice, per-demand order kept."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.reliability.conftest import (
    assert_exactly_once_in_order, make_hub, settings_with, subprocess_env, write_batch,
)

N = 6_000


@pytest.mark.slow
@pytest.mark.rabbitmq
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["rabbitmq_postgres"])
def test_three_hubs_share_the_load_and_survive_one_being_killed(hub_settings, partner, hub_processes):
    settings = settings_with(hub_settings, {"partner": partner.url})
    write_batch(settings.home / "inbox" / "bailleurs", N)
    with make_hub(settings) as hub:   # journaled beforehand: the hubs share its outbox and the partner's queue
        assert sum(r.journaled for r in hub.inbox.scan().values()) == N
        assert hub.journal.outbox_size() == N
    env = subprocess_env(settings)
    hubs = [hub_processes(env).start() for _ in range(3)]

    partner.wait_for(N // 3, what="deliveries before the kill")
    victim = hubs[1]
    victim.kill()
    assert partner.count() < N, "the batch was over before a hub could be killed"
    partner.wait_for(N, what="deliveries after the kill")
    for survivor in (hubs[0], hubs[2]):
        assert survivor.terminate() == 0, survivor.output()[-3000:]

    assert_exactly_once_in_order(partner, settings, expected=N)
    share = Counter(partner.delivered_by.values())
    assert set(share) == {str(h.pid) for h in hubs}, f"every hub delivered a share: {share}"
