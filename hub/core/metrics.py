"""Prometheus metrics of the hub (served by ``relais run`` when ``metrics_port`` is set).

Counters are process-wide, as Prometheus expects; queue depths are read from the journal when scraped, so several
hub processes report the same truth: ``relais_deliveries`` counts the open deliveries per connector and state
(pending = the partner's queue depth, retrying, delivering, dead) — the settled ones only grow and are
``relais_events_out_total`` — and ``relais_outbox_depth`` the events journaled but not yet confirmed on the bus.
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily

__all__ = ["EVENTS_IN", "EVENTS_OUT", "DELIVERY_LATENCY", "RETRIES", "DEAD_LETTERS", "POLLS",
           "register_depth_collector"]

EVENTS_IN = Counter("relais_events_in_total", "Events journaled, by emitting connector and type",
                    ["connector", "type"])
EVENTS_OUT = Counter("relais_events_out_total", "Events delivered to a partner, by connector and type",
                     ["connector", "type"])
DELIVERY_LATENCY = Histogram("relais_delivery_latency_seconds", "From journal to partner acceptance",
                             ["connector"], buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 1800, 3600))
RETRIES = Counter("relais_delivery_retries_total", "Deliveries scheduled for another attempt", ["connector"])
DEAD_LETTERS = Counter("relais_dead_letters_total", "Messages put in the dead-letter store",
                       ["direction", "connector"])
DEAD_LETTER_QUOTA = Counter("relais_dead_letter_quota_reached_total",
                            "Rejected inputs whose bytes were not kept: the connector's dead-letter quota is full",
                            ["connector"])
POLLS = Counter("relais_polls_total", "Scheduled pulls from a partner, by connector and outcome (fetched, failed)",
                ["connector", "outcome"])


class _DepthCollector:
    def __init__(self, counts: Callable[[], dict[tuple[str, str], int]], outbox: Callable[[], int] | None):
        self.counts = counts
        self.outbox = outbox

    def collect(self):
        gauge = GaugeMetricFamily("relais_deliveries", "Open deliveries by connector and state (queue depth = pending)",
                                  labels=["connector", "status"])
        for (connector, status), n in sorted(self.counts().items()):
            gauge.add_metric([connector, status], n)
        yield gauge
        if self.outbox is not None:
            yield GaugeMetricFamily("relais_outbox_depth", "Events journaled, not yet confirmed by the broker",
                                    value=self.outbox())


_collector: _DepthCollector | None = None


def register_depth_collector(counts: Callable[[], dict[tuple[str, str], int]],
                             outbox: Callable[[], int] | None = None) -> None:
    """Point the depth gauges at this process's journal (replacing any earlier one, e.g. between tests)."""
    global _collector
    if _collector is not None:
        REGISTRY.unregister(_collector)
    _collector = _DepthCollector(counts, outbox)
    REGISTRY.register(_collector)
