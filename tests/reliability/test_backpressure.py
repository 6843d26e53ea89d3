"""Back-pressure: a partner that hangs holds up nobody else, and its backlog does not pile up in the hub.

Each partner has its own worker and queue; a hung call is abandoned after ``delivery_timeout``, and once a few
consecutive calls have timed out the rest of the batch is postponed without calling the partner. On RabbitMQ the
hung partner's backlog stays on the broker (its queue, or the delay queues for postponed batches): the hub holds at
most its prefetch window (twice the batch size).
"""

from __future__ import annotations

import json
import subprocess
import threading
import time

import pytest

from hub import Connector, PartnerRole, RetryableError, hookimpl
from hub.core.delivery import BREAKER
from tests.factories import decision, numero_unique, write_decisions
from tests.reliability.conftest import (
    assert_exactly_once_in_order, delivery_rows, make_hub, settings_with, write_batch,
)
from tests.reliability.partner import FakePartner

N = 2_000
BATCH = 100


def _broker_queues(namespace: str) -> dict[str, dict]:
    out = subprocess.run(["rabbitmqctl", "list_queues", "-p", "/", "name", "messages_ready",
                          "messages_unacknowledged", "--formatter", "json"],
                         capture_output=True, text=True, check=True, timeout=60).stdout
    return {q["name"]: q for q in json.loads(out) if q["name"].startswith(namespace + ".")}


def _assert_backlog_on_broker(namespace: str) -> None:
    """The hung partner's backlog is on the broker, and the hub holds no more than its prefetch window.

    Postponed batches wait in the delay queues (only the hung partner's are there), the rest in its own queue; the
    few calls abandoned while hanging wait in the journal for the sweep. The broker's counters are sampled, so the
    accounting is polled briefly; the prefetch bound must hold on every sample.
    """
    deadline = time.monotonic() + 15
    while True:
        queues = _broker_queues(namespace)
        own = queues[f"{namespace}.q.slow"]
        assert own["messages_unacknowledged"] <= 2 * BATCH, f"the hub holds its prefetch only: {queues}"
        delayed = sum(q["messages_ready"] for name, q in queues.items() if name.startswith(f"{namespace}.retry."))
        accounted = own["messages_ready"] + own["messages_unacknowledged"] + delayed
        if accounted >= N - BATCH:
            return
        assert time.monotonic() < deadline, f"the backlog waits on the broker ({accounted} of {N}): {queues}"
        time.sleep(0.5)


@pytest.mark.slow
def test_a_hung_partner_holds_up_nobody_else_and_its_backlog_stays_out_of_the_hub(hub_settings):
    with FakePartner() as fast, FakePartner() as slow:
        slow.hang.set()
        settings = settings_with(hub_settings, {"fast": fast.url, "slow": slow.url}, batch_size=BATCH,
                                 delivery_timeout=1.0)
        write_batch(settings.home / "inbox" / "bailleurs", N)
        with make_hub(settings) as hub:
            stop = threading.Event()
            runner = threading.Thread(target=hub.run, args=(stop,), name="hub")
            runner.start()
            try:
                fast.wait_for(N, what="deliveries to the partner that answers")
                assert slow.count() == 0 and slow.calls > 0, "the other partner was still hanging meanwhile"
                if hub.bus.is_amqp:
                    _assert_backlog_on_broker(settings.namespace)
                slow.hang.clear()
                slow.wait_for(N, what="deliveries once the partner answers again")
            finally:
                slow.hang.clear()
                stop.set()
                runner.join()
        assert_exactly_once_in_order(fast, settings, "fast", expected=N)
        assert_exactly_once_in_order(slow, settings, "slow", expected=N)


class _Hanging(Connector):
    """Hangs on the events of the demands in ``hang_on`` (all of them if it holds "*") until ``release`` is set."""

    name = "broken"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)
    hang_on: set[str] = set()
    release = threading.Event()
    accepted: list[str] = []
    callers: list[threading.Thread] = []   # the thread of each call

    def deliver(self, event, message) -> None:
        self.callers.append(threading.current_thread())
        if "*" in self.hang_on or event.subject in self.hang_on:
            self.release.wait(30)
            raise RetryableError("answered too late")
        self.accepted.append(event.id)


class _HangingPlugin:
    @hookimpl
    def relais_register_connectors(self, register):
        register(_Hanging)


def _hanging_hub(hub_settings, hang_on: set[str]):
    _Hanging.hang_on, _Hanging.release, _Hanging.accepted, _Hanging.callers = hang_on, threading.Event(), [], []
    settings = settings_with(hub_settings, {}, delivery_timeout=0.3)
    return settings, make_hub(settings, _HangingPlugin())


def _culprit_among(hub_settings, count: int, position: int):
    """``count`` decisions in the inbox, the one at ``position`` about a demand whose delivery hangs; the culprit
    demand, the settings and the (unstarted) hub."""
    culprit = numero_unique()
    decisions = [decision() for _ in range(count)]
    decisions[position] = decision(numero_unique=culprit)
    settings, hub = _hanging_hub(hub_settings, {culprit})
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", decisions)
    return culprit, settings, hub


def _journaled_and_relayed(hub) -> None:
    hub.start()
    hub.inbox.scan()
    hub.relay.publish_pending()


@pytest.mark.parametrize("backend", ["embedded"])
def test_a_hung_call_is_abandoned_and_the_rest_of_the_batch_goes_on(hub_settings):
    culprit, settings, hub = _culprit_among(hub_settings, 6, 2)
    with hub:
        _journaled_and_relayed(hub)
        step = hub.workers["broken"].step(wait=0.5)
        assert (step.delivered, step.failed) == (5, 1)
        _Hanging.release.set()   # the abandoned call returns now: its late answer changes nothing
        time.sleep(0.2)
        rows = {r["subject"]: r for r in delivery_rows(settings, "broken")}
    assert len(_Hanging.accepted) == 5
    assert rows[culprit]["status"] == "retrying" and "did not answer within 0.3s" in rows[culprit]["last_error"]


@pytest.mark.parametrize("backend", ["embedded"])
def test_batches_are_delivered_by_one_long_lived_thread_and_an_abandoned_one_ends(hub_settings):
    """A worker delivering in turn hands every batch to the same delivery thread (not a new thread per batch);
    the thread left in a hung call takes no other batch and ends once the call returns."""
    _culprit, settings, hub = _culprit_among(hub_settings, 4, 1)
    with hub:
        _journaled_and_relayed(hub)
        assert hub.workers["broken"].step(wait=0.5).delivered == 3
        abandoned, fresh = _Hanging.callers[0], _Hanging.callers[-1]
        assert _Hanging.callers == [abandoned, abandoned, fresh, fresh] and fresh is not abandoned
        _Hanging.release.set()
        abandoned.join(timeout=5)
        assert not abandoned.is_alive()
        for name in ("next.json", "last.json"):   # two more batches: the same thread delivers both
            write_decisions(settings.home / "inbox" / "bailleurs", name, [decision(), decision()])
            hub.inbox.scan()
            hub.relay.publish_pending()
            assert hub.workers["broken"].step(wait=0.5).delivered == 2
        assert _Hanging.callers[4:] == [fresh] * 4 and fresh.is_alive()
    assert len(_Hanging.accepted) == 7


@pytest.mark.parametrize("backend", ["embedded"])
def test_a_partner_that_hangs_on_every_call_costs_a_few_timeouts_per_batch_not_one_per_event(hub_settings):
    settings, hub = _hanging_hub(hub_settings, {"*"})
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision() for _ in range(40)])
    with hub:
        hub.start()
        hub.inbox.scan()
        hub.relay.publish_pending()
        step = hub.workers["broken"].step(wait=0.5)
        _Hanging.release.set()
    rows = delivery_rows(settings, "broken")
    assert step.failed == BREAKER and {r["status"] for r in rows} == {"retrying"}
    assert sorted(r["attempts"] for r in rows) == [0] * (40 - BREAKER) + [1] * BREAKER, \
        "the postponed ones did not spend an attempt"
