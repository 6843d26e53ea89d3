"""Retries with backoff and jitter, the broker's delay queues, permanent refusals and messages that kill the hub."""

from __future__ import annotations

import json
import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.core.delivery import backoff_delay
from hub.settings import RetrySettings
from tests.factories import decision, numero_unique, write_decisions
from tests.reliability.conftest import (
    assert_exactly_once_in_order, delivery_rows, journal_order, make_hub, relais_cli, settings_with,
    subprocess_env, wait_until, write_batch,
)
from tests.reliability.partner import FakePartner


@given(attempt=st.integers(1, 40), base=st.floats(0.01, 10), cap=st.floats(0.1, 7200),
       jitter=st.floats(0, 1))
def test_backoff_is_exponential_capped_and_jittered(attempt, base, cap, jitter):
    retry = RetrySettings(base_delay=base, max_delay=cap, jitter=jitter)
    ceiling = min(cap, base * 2 ** (attempt - 1))
    delays = {backoff_delay(attempt, retry, random.Random(seed)) for seed in range(5)}
    assert all(ceiling * (1 - jitter) - 1e-9 <= d <= ceiling + 1e-9 for d in delays)


def test_jitter_spreads_deliveries_that_failed_together():
    retry = RetrySettings(base_delay=1.0, jitter=0.5)
    rng = random.Random(3)
    assert len({round(backoff_delay(4, retry, rng), 6) for _ in range(50)}) > 40


@pytest.mark.slow
def test_partner_failing_half_the_calls_then_recovering_accepts_every_event_once(hub_settings, hub_processes):
    n = 3_000
    rng = random.Random(11)

    def flaky(call):   # refused before acceptance, as a partner that is down or overloaded would
        return 503 if call.number <= n and rng.random() < 0.5 else None

    with FakePartner(refuse=flaky) as partner:
        settings = settings_with(hub_settings, {"partner": partner.url})
        write_batch(settings.home / "inbox" / "bailleurs", n)
        hub = hub_processes(subprocess_env(settings)).start()
        partner.wait_for(n, what="deliveries through the failures")
        assert hub.terminate() == 0
        assert partner.refused > n // 4
        assert_exactly_once_in_order(partner, settings, expected=n)
        rows = delivery_rows(settings, "partner")
        assert max(r["attempts"] for r in rows) > 1
        assert relais_cli(settings, "dead", "list").output.strip() == "no dead letters"


def test_a_poison_event_in_a_stream_is_dead_lettered_with_its_reason_and_the_rest_flows(hub_settings):
    """The partner refuses one event for good (HTTP 422): it is dead-lettered at once, with the partner's
    answer; every other event is delivered — except the later events of the same demand, held back so the partner
    never sees them out of order."""
    decisions = [decision() for _ in range(40)]
    demand = numero_unique()
    poison_id = "CAL-POISON-1"
    decisions[20:20] = [decision(id=poison_id, numero_unique=demand), decision(numero_unique=demand)]
    with FakePartner(refuse=lambda call: 422 if call.envelope["sourcemessageid"].endswith(poison_id)
                     else None) as partner:
        settings = settings_with(hub_settings, {"partner": partner.url})
        write_decisions(settings.home / "inbox" / "bailleurs", "stream.json", decisions, bailleur_siren="276300019")
        with make_hub(settings) as hub:
            hub.run_once()
        order = journal_order(settings)
        poison_event, held_back = order[demand]
        assert partner.count() == 40 and poison_event not in partner.accepted and held_back not in partner.accepted
        states = {r["id"]: (r["status"], r["attempts"]) for r in delivery_rows(settings, "partner")}
        assert states[poison_event] == ("dead", 1) and states[held_back] == ("pending", 0)
        listed = json.loads(relais_cli(settings, "dead", "list", "--json").output)
        assert len(listed) == 1
        dead = listed[0]
        assert (dead["direction"], dead["connector"], dead["event_type"]) == ("outbound", "partner", "decision_cal.v1")
        assert "HTTP 422" in dead["reason"] and dead["attempts"][0]["kind"] == "RejectError"


@pytest.mark.slow
def test_a_message_that_kills_the_hub_ends_alone_in_the_dead_letters(hub_settings, partner, hub_processes):
    """Embedded: a delivery that SIGKILLs the hub. Every claim counts as an attempt and a restart takes back the
    dead process's claims as suspects, tried one at a time — so after ``max_attempts`` crashes the culprit alone
    is dead-lettered, and every other event of its batch is delivered once."""
    culprit = numero_unique()
    decisions = [decision() for _ in range(200)]
    decisions[100] = decision(numero_unique=culprit)
    settings = settings_with(hub_settings, {"partner": partner.url}, retry={"max_attempts": 3}, lease=3.0,
                             delivery_timeout=1.0,
                             connectors={"partner": {"enabled": True, "url": partner.url, "crash_on": culprit}})
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", decisions)
    env = subprocess_env(settings)

    def culprit_dead() -> bool:
        ids = journal_order(settings).get(culprit, [])
        return any(r["id"] in ids and r["status"] == "dead" for r in delivery_rows(settings, "partner"))

    crashes = 0
    while True:
        hub = hub_processes(env).start()
        wait_until(lambda hub=hub: not hub.alive() or (partner.count() == 199 and culprit_dead()),
                   what="crash or finish")
        if hub.alive():
            break
        assert hub.proc.returncode == -9
        crashes += 1
        assert crashes <= 3, "the culprit should be dead-lettered after max_attempts crashes"
    assert hub.terminate() == 0
    assert crashes == 3
    assert partner.duplicates() == {} and partner.count() == 199
    listed = json.loads(relais_cli(settings, "dead", "list", "--json").output)
    assert [(d["direction"], d["connector"]) for d in listed] == [("outbound", "partner")]
    assert "may be what crashes it" in listed[0]["reason"]
    assert [a["kind"] for a in listed[0]["attempts"]] == ["WorkerLost"] * 3
