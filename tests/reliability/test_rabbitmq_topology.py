"""The RabbitMQ features the bus declares, shown to work end to end: delay queues bring a retry back, and the
poison exchange catches a message the broker gave up on — which the hub then takes back into the journal, so that
the journal's attempt count, not the broker's, decides what is dead."""

from __future__ import annotations

import pytest
from kombu import Connection

from tests.conftest import AMQP_URL
from tests.factories import decision, write_decisions
from tests.reliability.conftest import delivery_rows, make_hub, settings_with, wait_until
from tests.reliability.partner import FakePartner

pytestmark = [pytest.mark.rabbitmq, pytest.mark.parametrize("backend", ["rabbitmq_postgres"])]


def test_a_retry_on_rabbitmq_comes_back_through_the_delay_queue(hub_settings):
    """The failed delivery goes to ``<ns>.retry.1000``; its TTL dead-letters it to ``<ns>.deliver``, bound to the
    subscriber's queue; the worker then delivers it. The hub process holds nothing in between."""
    ns = hub_settings.namespace
    with FakePartner(refuse=lambda call: 503 if call.number == 1 else None) as partner:
        settings = settings_with(hub_settings, {"partner": partner.url}, retry={"base_delay": 0.2})
        write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision()])
        with make_hub(settings) as hub, Connection(AMQP_URL) as conn:
            def ready(queue: str) -> int:
                return conn.default_channel.queue_declare(queue=queue, passive=True).message_count

            hub.start()
            hub.inbox.scan()
            hub.relay.publish_pending()
            worker = hub.workers["partner"]
            assert worker.step(wait=1).failed == 1
            assert ready(f"{ns}.retry.1000") == 1 and ready(f"{ns}.q.partner") == 0
            assert worker.sweep() == 0, "the sweep leaves a retry to the broker"

            wait_until(lambda: ready(f"{ns}.retry.1000") == 0, timeout=30, what="the TTL to expire the retry")
            seen = []
            read = worker.reader.next_batch
            worker.reader.next_batch = lambda *a, **k: seen.extend(read(*a, **k)) or seen[-1:]
            assert worker.step(wait=1).delivered == 1
        death = seen[0].headers["x-death"][0]
        assert (death["queue"], death["reason"], death["exchange"]) == (f"{ns}.retry.1000", "expired", f"{ns}.retry")
        assert seen[0].delivery_info["exchange"] == f"{ns}.deliver"
        assert seen[0].delivery_info["routing_key"] == "1000.partner"
        assert partner.count() == 1 and partner.refused == 1
        assert [r["attempts"] for r in delivery_rows(settings, "partner")] == [2]


def test_a_message_over_the_delivery_limit_goes_to_the_poison_queue_and_back_through_the_journal(hub_settings,
                                                                                                 partner):
    ns = hub_settings.namespace
    settings = settings_with(hub_settings, {"partner": partner.url})
    write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", [decision()])
    with make_hub(settings) as hub, Connection(AMQP_URL) as conn:
        hub.start()
        hub.inbox.scan()
        hub.relay.publish_pending()
        # a consumer that crashes on the message, again and again (before the hub's own worker consumes)
        queue = hub.bus.topology.subscriber_queue("partner", ())(conn.default_channel)
        for _ in range(30):
            message = queue.get(no_ack=False)
            if message is None:
                break
            message.reject(requeue=True)
        wait_until(lambda: conn.default_channel.queue_declare(queue=f"{ns}.poison", passive=True).message_count == 1,
                   timeout=30, what="the quorum queue's delivery limit to dead-letter the message to <ns>.poison")
        assert [r["status"] for r in delivery_rows(settings, "partner")] == ["pending"]

        assert hub.rescue_poison() == 1
        worker = hub.workers["partner"]
        assert worker.sweep() == 1
        assert worker.step(wait=1).delivered == 1
    assert partner.count() == 1 and partner.duplicates() == {}
    assert [(r["status"], r["attempts"]) for r in delivery_rows(settings, "partner")] == [("delivered", 1)]
