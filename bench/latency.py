"""End-to-end latency at a steady 1,000 events/s on RabbitMQ + PostgreSQL (issue 18: p99 ≤ 50 ms).

A producer thread decodes one message of 10 CAL decisions every 10 ms through the bailleurs connector and hands it
to the gateway's group committer (``hub.gateway.commit.InboundCommitter``, what an accepted POST goes through: it
does not wait for one commit per message), paced on a monotonic schedule (a late tick does not
send a burst to catch up), while ``Hub.run()`` relays, routes and delivers to a partner that accepts at once. The
latency of an event is from the moment its message was handed to the ingestor to its delivery record
(``deliveries.updated_at``), so it includes journaling, the outbox relay under confirms, the bus, the claim and the
record. The baseline row is the offered rate itself: the hub must keep up (ratio ≈ 1.0) and hold p99 under 50 ms.

One process runs the producer and the hub (they share the interpreter), as ``relais run`` with a gateway would.

    .venv/bin/python -m bench.latency [--seconds 20] [--rate 1000]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
import uuid
from concurrent.futures import Future
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, select, text

from bench.common import isolated, percentiles, row, sized
from bench.throughput import AMQP_URL, PG_URL, BenchPlugin, _cleanup_queues
from hub.core.connector import RawMessage
from hub.core.journal_schema import DeliveryStatus, deliveries, events
from hub.core.logging import configure_logging
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway.commit import DecodedMessage, InboundCommitter
from hub.settings import HubSettings

PER_MESSAGE = 10


def steady(seconds: float, rate: int = 1_000) -> dict[str, float]:
    """Offer ``rate`` events/s for ``seconds``; p50/p99 from hand-over to delivery record, and the rate achieved."""
    from tests.factories import decision, decisions_document

    configure_logging("json", "warning")
    home = Path(tempfile.mkdtemp(prefix="relais-bench-")) / "home"
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(PG_URL)
    with engine.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    settings = HubSettings(home=home, seed_examples=False, namespace=f"bench{uuid.uuid4().hex[:8]}",
                           journal_url=f"{PG_URL}?options=-csearch_path%3D{schema}", broker_url=AMQP_URL)
    host = PluginHost.load(allow=["bailleurs"], extra=[])
    host.register(BenchPlugin(False), name="bench")
    messages = int(seconds * rate / PER_MESSAGE)
    bodies = [json.dumps(decisions_document([decision() for _ in range(PER_MESSAGE)])).encode()
              for _ in range(messages)]
    sent_at: dict[str, datetime] = {}
    try:
        with Hub(settings, host) as hub:
            hub.start()
            connector = hub.connector("bailleurs")
            committer = InboundCommitter(hub.ingestor, hub.settings.batch_size)
            pending: list[tuple[datetime, Future]] = []
            stop = threading.Event()
            runner = threading.Thread(target=hub.run, args=(stop,))
            runner.start()
            period = PER_MESSAGE / rate
            started = time.monotonic()
            for index, body in enumerate(bodies):
                delay = started + index * period - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
                handed = datetime.now(UTC)
                raw = RawMessage.from_bytes(body, f"bench-{index}.json")
                accepted, rejected = hub.ingestor.decode(connector, raw)
                pending.append((handed, committer.submit(DecodedMessage(raw, accepted, rejected))))
            offered = time.monotonic() - started
            for handed, future in pending:
                sent_at.update((event_id, handed) for event_id in future.result(timeout=60).journaled)
            committer.close()
            total = len(sent_at)
            deadline = time.monotonic() + 120
            while (hub.journal.delivery_counts("bench_partner") != {("bench_partner", DeliveryStatus.DELIVERED): total}
                   and time.monotonic() < deadline):
                time.sleep(0.02)
            drained = time.monotonic() - started
            stop.set()
            runner.join()
            query = (select(events.c.id, deliveries.c.updated_at).join(deliveries, deliveries.c.seq == events.c.seq)
                     .where(deliveries.c.subscriber == "bench_partner",
                            deliveries.c.status == DeliveryStatus.DELIVERED))
            with hub.journal.engine.connect() as conn:
                latencies = [(done - sent_at[event_id]).total_seconds() for event_id, done in conn.execute(query)]
            _cleanup_queues(hub)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    p50, p99 = percentiles(latencies)
    return {"events_per_s": len(latencies) / drained, "offered_per_s": total / offered, "p50_ms": p50,
            "p99_ms": p99, "delivered": len(latencies), "journaled": total}


def run(quick: bool = False) -> list[dict]:
    measured = isolated("latency", "steady", seconds=sized(quick, full=20, quick=6, tiny=0.3))
    return [row("offered_1000_per_s", {"events_per_s": measured["offered_per_s"]}),
            row("hub_rabbitmq_steady_1000", measured, baseline=row("offered_1000_per_s", {"events_per_s": measured["offered_per_s"]}), target="p99 <= 50 ms, ratio ~ 1.0")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=int, default=1_000)
    args = parser.parse_args()
    print(json.dumps(steady(args.seconds, args.rate), indent=2))


if __name__ == "__main__":
    main()
