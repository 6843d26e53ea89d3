"""RabbitMQ, then PostgreSQL, stopped and restarted in the middle of a batch while the hub keeps running: nothing
lost, nothing accepted twice by the partner, per-demand order kept."""

from __future__ import annotations

import json
import time

import pytest

from tests.reliability.conftest import assert_exactly_once_in_order, settings_with, subprocess_env, write_batch
from tests.reliability.services import postgres_stopped, rabbitmq_stopped

N = 3_000


def _log_events(output: str) -> set[str]:
    return {json.loads(line).get("event") for line in output.splitlines() if line.startswith("{")}


@pytest.mark.slow
@pytest.mark.rabbitmq
@pytest.mark.parametrize("backend", ["rabbitmq_postgres"])
def test_rabbitmq_restarted_mid_batch_loses_and_duplicates_nothing(hub_settings, partner, hub_processes):
    settings = settings_with(hub_settings, {"partner": partner.url})
    write_batch(settings.home / "inbox" / "bailleurs", N)
    hub = hub_processes(subprocess_env(settings)).start()
    partner.wait_for(N // 5, what="deliveries before the broker stops")
    with rabbitmq_stopped():
        before = partner.count()
        time.sleep(3)   # long enough for every loop of the hub to hit the dead broker
    assert before < N, "the batch was over before the broker stopped"
    partner.wait_for(N, what="deliveries after the broker came back")
    assert hub.terminate() == 0, hub.output()[-3000:]
    assert {"delivery_loop_interrupted"} & _log_events(hub.output()), "the hub did notice the broker going away"
    assert_exactly_once_in_order(partner, settings, expected=N)


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["rabbitmq_postgres"])
def test_postgresql_restarted_mid_batch_loses_and_duplicates_nothing(hub_settings, partner, hub_processes):
    settings = settings_with(hub_settings, {"partner": partner.url})
    write_batch(settings.home / "inbox" / "bailleurs", N)
    hub = hub_processes(subprocess_env(settings)).start()
    partner.wait_for(N // 5, what="deliveries before the database stops")
    with postgres_stopped():
        before = partner.count()
        time.sleep(3)
    assert before < N, "the batch was over before the database stopped"
    partner.wait_for(N, what="deliveries after the database came back")
    assert hub.terminate() == 0, hub.output()[-3000:]
    assert_exactly_once_in_order(partner, settings, expected=N)
