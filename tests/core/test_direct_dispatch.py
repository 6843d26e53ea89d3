"""Embedded transport: a running hub's ingest commits put their events on the in-process bus themselves, with no
outbox row (hub.core.direct_dispatch) — and a reference lost on the way is dispatched again from the journal."""

from __future__ import annotations

import threading

import pytest

from hub.core.direct_dispatch import DirectDispatch
from hub.core.journal_schema import DeliveryStatus
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.testing.samples import make_event
from tests.contracts.contracts_factories import exemple
from tests.factories import decision, write_decisions
from tests.running import Keeping, KeepingPlugin, run_until

EMBEDDED = pytest.mark.parametrize("backend", ["embedded"])


def _hub(settings) -> Hub:
    Keeping.reset()
    host = PluginHost.load(allow=["bailleurs"], extra=[])
    host.register(KeepingPlugin(), name="keeping")
    return Hub(settings, host)


def _inbox(settings, n: int = 3) -> None:
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision() for _ in range(n)])


def _delivered(hub: Hub) -> int:
    return hub.journal.delivery_counts("keeping").get(("keeping", DeliveryStatus.DELIVERED), 0)


@EMBEDDED
def test_a_running_embedded_hub_delivers_what_it_journals_without_an_outbox_row(hub_settings):
    _inbox(hub_settings)
    with _hub(hub_settings) as hub:
        outboxed: list[int] = []
        add_in = hub.journal.outbox.add_in
        hub.journal.outbox.add_in = lambda conn, seqs: (outboxed.extend(seqs), add_in(conn, seqs))
        assert run_until(hub, Keeping.done), "the decisions were not delivered"
        assert outboxed == [] and hub.journal.outbox_size() == 0
        assert not hub.ingestor.direct.enabled, "stopped with the hub's workers"
        assert len({e.id for e, _ in Keeping.received}) == 3


@EMBEDDED
def test_a_process_whose_workers_do_not_run_keeps_writing_the_outbox(hub_settings):
    """A command journaling into the same journal as a running hub: that hub's relay must find its events."""
    with _hub(hub_settings) as hub:
        events = [make_event(exemple("decision_cal.v1"), source="bailleurs", id=f"e-{i}") for i in range(2)]
        report = hub.ingestor.commit(events, [])
        assert report.journaled == 2 and hub.journal.outbox_size() == 2


@EMBEDDED
def test_a_reference_that_failed_to_publish_is_dispatched_again_by_the_stale_sweep(hub_settings):
    settings = hub_settings.model_copy(update={"stale_dispatch": 0.5})
    _inbox(settings)
    with _hub(settings) as hub:
        direct = hub.ingestor.direct
        start = direct.start
        failed: list[int] = []

        def start_failing_once() -> None:
            start()
            publish = direct._publisher.publish

            def broken(messages, **kw):
                if not failed:
                    failed.append(len(messages))
                    raise ConnectionError("in-process bus closed under us")
                return publish(messages, **kw)
            direct._publisher.publish = broken

        direct.start = start_failing_once
        assert run_until(hub, Keeping.done), "the stale sweep did not dispatch the journaled decisions"
        assert failed and len(Keeping.received) == len({e.id for e, _ in Keeping.received}) and _delivered(hub) == 3


@EMBEDDED
def test_events_journaled_but_never_published_are_delivered_after_a_restart(hub_settings):
    """A crash between the commit and the publish: the next start's recovery finds the open deliveries."""
    _inbox(hub_settings)
    with _hub(hub_settings) as hub:
        journaled = threading.Event()
        hub.ingestor.direct.publish = lambda inserted: journaled.set() or False   # lost with the process
        assert run_until(hub, journaled, timeout=30), "nothing was journaled"
        assert _delivered(hub) == 0 and hub.journal.outbox_size() == 0
    with _hub(hub_settings) as again:
        assert run_until(again, Keeping.done), "the restarted hub did not deliver the journaled decisions"
        assert _delivered(again) == 3


def test_direct_dispatch_is_refused_on_rabbitmq():
    class Amqp:
        is_amqp = True
    with pytest.raises(ValueError, match="in-process transport only"):
        DirectDispatch(Amqp(), 10)
