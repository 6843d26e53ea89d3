"""``relais run`` serves Prometheus metrics when ``metrics_port`` is set: events in and out per connector and type,
the delivery latency histogram, retries, dead letters, and the depths read from the journal (open deliveries per
state, outbox). Scraped over HTTP from a running hub, on both backends."""

from __future__ import annotations

import socket

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.factories import decision, write_decisions
from tests.reliability.conftest import settings_with, subprocess_env, wait_until
from tests.reliability.partner import FakePartner


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _scrape(port: int) -> dict[tuple[str, frozenset], float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {(sample.name, frozenset(sample.labels.items())): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_a_running_hub_serves_its_metrics(hub_settings, hub_processes):
    decisions = [decision() for _ in range(30)]
    poison, flaky = decisions[10]["id"], decisions[20]["id"]
    failed_once: set[str] = set()

    def refuse(call):
        source_id = call.envelope["sourcemessageid"].split(":", 1)[1]
        if source_id == poison:
            return 422
        if source_id == flaky and source_id not in failed_once:
            failed_once.add(source_id)
            return 503
        return None

    port = _free_port()
    with FakePartner(refuse=refuse) as partner:
        settings = settings_with(hub_settings, {"partner": partner.url}, metrics_port=port)
        write_decisions(settings.home / "inbox" / "bailleurs", "cal.json", decisions)
        hub = hub_processes(subprocess_env(settings)).start()
        partner.wait_for(29)

        def settled() -> bool:
            try:
                return _scrape(port).get(("relais_deliveries", frozenset({("connector", "partner"),
                                                                          ("status", "dead")}))) == 1
            except httpx.HTTPError:
                return False
        wait_until(settled, what="the dead letter to show in the metrics")
        metrics = _scrape(port)
        assert hub.terminate() == 0

    def value(name: str, **labels: str) -> float | None:
        return metrics.get((name, frozenset(labels.items())))

    decision_type = {"type": "decision_cal.v1"}
    assert value("relais_events_in_total", connector="bailleurs", **decision_type) == 30
    assert value("relais_events_out_total", connector="partner", **decision_type) == 29
    assert value("relais_delivery_latency_seconds_count", connector="partner") == 29
    assert value("relais_delivery_latency_seconds_bucket", connector="partner", le="+Inf") == 29
    assert value("relais_delivery_retries_total", connector="partner") == 1
    assert value("relais_dead_letters_total", direction="outbound", connector="partner") == 1
    assert value("relais_deliveries", connector="partner", status="dead") == 1
    assert value("relais_deliveries", connector="partner", status="pending") is None, "nothing waits"
    assert value("relais_outbox_depth") == 0
