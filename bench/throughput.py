"""Throughput of the hub, end to end, against raw baselines measured in the same run (docs/performance.md: these
machines are noisy, so only ratios measured together mean something).

    .venv/bin/python bench/throughput.py [--events 10000] [--backend embedded|rabbitmq|both] [--json]

What is measured, with 1 KB JSON messages / CAL decisions (synthetic, tests/factories.py):

* ``kombu_memory_roundtrip``: kombu ``memory://`` publish → drain → ack, the ceiling of the embedded bus;
* ``rabbitmq_confirm_publish``: py-amqp persistent publishing to a quorum queue under pipelined publisher confirms
  (window 512), the ceiling of a durable hand-over to RabbitMQ;
* ``raw_amqp_roundtrip``: the same payloads published so (persistent, quorum queue, pipelined confirms, window 512)
  by one connection while another consumes them (prefetch 1,000) and acknowledges them in batches: publish →
  consume → ack, the raw transport a durable hub on RabbitMQ is measured against (issue 18);
* ``hub_embedded`` / ``hub_rabbitmq``: ``Hub.run()`` from decision files dropped in the inbox to every event
  delivered to a partner connector that accepts at once (no I/O, so the hub is what is measured): decode, contract
  checks, journal (group commit), outbox relay under confirms, bus, claim, access policy, encode, record, ack.
* with ``--processor``, the same again with one processor subscribed to every event (``#``) that writes one
  projection row per event, until the partner and the processor have both had every event
  (``hub_<backend>_processor``; ``ratio_<backend>_processor`` is against the hub without it, in the same run).

The ratios printed are hub / baseline, for the same transport.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kombu import Connection, Consumer, Exchange, Producer, Queue  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402

from sqlalchemy import Column, MetaData, String, Table  # noqa: E402

from hub import Connector, PartnerRole, Processor, hookimpl  # noqa: E402
from hub.core.journal_schema import DeliveryStatus  # noqa: E402
from hub.core.logging import configure_logging  # noqa: E402
from hub.core.plugins import PluginHost  # noqa: E402
from hub.core.runtime import Hub  # noqa: E402
from hub.settings import HubSettings  # noqa: E402

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BODY = json.dumps({"type": "bench.v1", "data": "x" * 960}).encode()


# --- baselines ------------------------------------------------------------------------------------------------
def kombu_memory_roundtrip(n: int) -> float:
    exchange = Exchange(f"bench{uuid.uuid4().hex[:8]}", type="direct")
    queue = Queue(exchange.name, exchange, routing_key="k")
    got = [0]

    def on_message(_body, message):
        message.ack()
        got[0] += 1

    with Connection("memory://", transport_options={"polling_interval": 0.005}) as conn:
        producer = Producer(conn.channel())
        consumer = Consumer(conn.channel(), [queue], callbacks=[on_message], accept=["application/json"])
        queue(producer.channel).declare()
        with consumer:
            started = time.perf_counter()
            for _ in range(n):
                producer.publish(BODY, exchange=exchange, routing_key="k", content_type="application/json",
                                 content_encoding="utf-8")
            while got[0] < n:
                conn.drain_events(timeout=1)
            return n / (time.perf_counter() - started)


def rabbitmq_confirm_publish(n: int, window: int = 512) -> float:
    name = f"bench{uuid.uuid4().hex[:8]}"
    with Connection(AMQP_URL) as conn:
        channel = conn.channel()
        queue = Queue(name, durable=True, queue_arguments={"x-queue-type": "quorum"})
        queue(channel).declare()
        outstanding: set[int] = set()

        def on_ack(tag: int, multiple: bool) -> None:
            outstanding.difference_update([t for t in outstanding if t <= tag] if multiple else [tag])

        channel.confirm_select()
        channel.events["basic_ack"].add(on_ack)
        producer = Producer(channel)
        try:
            started = time.perf_counter()
            for tag in range(1, n + 1):
                while len(outstanding) >= window:
                    conn.drain_events(timeout=5)
                producer.publish(BODY, routing_key=name, delivery_mode=2, content_type="application/json",
                                 content_encoding="utf-8", retry=False)
                outstanding.add(tag)
            while outstanding:
                conn.drain_events(timeout=5)
            return n / (time.perf_counter() - started)
        finally:
            channel.queue_delete(name)


def raw_amqp_roundtrip(payloads: list[bytes] | int, window: int = 512, prefetch: int = 1000,
                       ack_every: int = 100) -> float:
    """py-amqp persistent publish → consume → ack of ``payloads`` (or that many 1 KB bodies), messages/s from the
    first publish to the last acknowledgement. A thread publishes on its own connection, never more than ``window``
    messages unconfirmed; the calling thread consumes on another and acknowledges every ``ack_every`` (``multiple``)."""
    import amqp
    bodies = [BODY] * payloads if isinstance(payloads, int) else list(payloads)
    n = len(bodies)
    name = f"bench{uuid.uuid4().hex[:8]}"
    host = "127.0.0.1:5672"
    consumer_conn = amqp.Connection(host, userid="guest", password="guest")
    consumer_conn.connect()
    channel = consumer_conn.channel()
    channel.queue_declare(name, durable=True, auto_delete=False, arguments={"x-queue-type": "quorum"})
    channel.basic_qos(0, prefetch, False)
    got = [0, 0]   # received, last delivery tag

    def on_message(message) -> None:
        got[0] += 1
        got[1] = message.delivery_tag
        if got[0] % ack_every == 0 or got[0] == n:
            channel.basic_ack(message.delivery_tag, multiple=True)

    consumer_tag = channel.basic_consume(name, callback=on_message, no_ack=False)
    failed: list[BaseException] = []

    def publish() -> None:
        try:
            conn = amqp.Connection(host, userid="guest", password="guest")
            conn.connect()
            pub = conn.channel()
            pub.confirm_select()
            confirmed = [0]

            def on_ack(tag: int, multiple: bool) -> None:
                confirmed[0] = tag if multiple else confirmed[0] + 1

            pub.events["basic_ack"].add(on_ack)
            for sent, body in enumerate(bodies, start=1):
                while sent - confirmed[0] > window:
                    conn.drain_events(timeout=5)
                pub.basic_publish(amqp.Message(body, delivery_mode=2, content_type="application/json"),
                                  exchange="", routing_key=name)
            while confirmed[0] < n:
                conn.drain_events(timeout=5)
            conn.close()
        except Exception as exc:  # noqa: BLE001  (reported by the measuring thread)
            failed.append(exc)

    try:
        started = time.perf_counter()
        publisher = threading.Thread(target=publish, name="raw-amqp-publisher")
        publisher.start()
        while got[0] < n and not failed:
            try:
                consumer_conn.drain_events(timeout=1)
            except TimeoutError:
                continue
        elapsed = time.perf_counter() - started
        publisher.join()
        if failed:
            raise failed[0]
        return n / elapsed
    finally:
        channel.basic_cancel(consumer_tag)
        channel.queue_delete(name)
        consumer_conn.close()


# --- the hub --------------------------------------------------------------------------------------------------
class Accepting(Connector):
    """A partner that accepts every event at once: the hub's own cost is what remains."""

    name = "bench_partner"
    role = PartnerRole.FICHIER_PARTAGE
    subscriptions = ("decision_cal.*",)

    def deliver(self, event, message) -> None:
        return None


_seen_meta = MetaData()
_seen = Table("bench_processor_seen", _seen_meta, Column("event_id", String(128), primary_key=True),
              Column("type", String(100), nullable=False))


_record_seen = _seen.insert()


class Counting(Processor):
    """A processor on every event, writing one projection row per event and deriving nothing.

    Its statement is built once and given its values as parameters, as the bundled processors do (plugins/cotation):
    building ``insert().values(...)`` anew for each event cost more than the rest of the hub's handling of the
    event, and what is measured here is the hub's cost of hosting a processor."""

    name = "bench_processor"
    subscriptions = ("#",)
    tables = _seen_meta

    def process(self, event, ctx):
        ctx.conn.execute(_record_seen, {"event_id": event.id, "type": event.type})
        return ()


class BenchPlugin:
    def __init__(self, processor: bool = False):
        self.processor = processor

    @hookimpl
    def relais_register_connectors(self, register):
        register(Accepting)
        if self.processor:
            register(Counting)


def _write_inbox(inbox: Path, n: int, per_file: int = 500) -> None:
    from tests.factories import decision, write_decisions
    decisions = [decision() for _ in range(n)]
    for start in range(0, n, per_file):
        write_decisions(inbox, f"cal-{start:06d}.json", decisions[start:start + per_file])


def hub_end_to_end(n: int, backend: str, processor: bool = False) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="relais-bench-")) / "home"
    overrides: dict = {"home": home, "seed_examples": False, "namespace": f"bench{uuid.uuid4().hex[:8]}"}
    schema = None
    if backend == "rabbitmq":
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        engine = create_engine(PG_URL)
        with engine.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        overrides.update(journal_url=f"{PG_URL}?options=-csearch_path%3D{schema}", broker_url=AMQP_URL)
    settings = HubSettings(**overrides)
    _write_inbox(home / "inbox" / "bailleurs", n)
    host = PluginHost.load(allow=["bailleurs"], extra=[])
    host.register(BenchPlugin(processor), name="bench")
    try:
        with Hub(settings, host) as hub:
            hub.start()
            stop = threading.Event()
            runner = threading.Thread(target=hub.run, args=(stop,))
            started = time.perf_counter()
            cpu_started = time.process_time()
            runner.start()
            watched = ["bench_partner"] + (["bench_processor"] if processor else [])
            # every 50 ms: the watcher's query must not take the hub's CPU (at 10 ms it took ~4 % of it, measured
            # with py-spy); finishing up to 50 ms late only ever understates the hub
            while any(hub.journal.delivery_counts(w) != {(w, DeliveryStatus.DELIVERED): n} for w in watched):
                time.sleep(0.05)
            elapsed = time.perf_counter() - started
            cpu = time.process_time() - cpu_started
            stop.set()
            runner.join()
            _cleanup_queues(hub) if hub.bus.is_amqp else None
        return {"events_per_s": n / elapsed, "seconds": elapsed, "cpu_us_per_event": cpu / n * 1e6}
    finally:
        if schema:
            with engine.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def _cleanup_queues(hub: Hub) -> None:
    from hub.core.bus import RETRY_TIERS_MS
    ns = hub.bus.topology.namespace
    with Connection(AMQP_URL) as conn:
        channel = conn.default_channel
        for queue in [f"{ns}.q.bench_partner", f"{ns}.q.bench_processor", f"{ns}.poison", *(f"{ns}.retry.{ms}" for ms in RETRY_TIERS_MS)]:
            channel.queue_delete(queue)
        for exchange in ("events", "deliver", "retry", "poison"):
            channel.exchange_delete(f"{ns}.{exchange}")


def _hub_into(results: dict[str, float], key: str, measured: dict[str, float]) -> None:
    """The rate under ``key``; the process's CPU per event (every thread: µs) under ``key_cpu_us`` — steadier than a
    rate on a machine shared with other work, though not a ratio."""
    results[key] = measured["events_per_s"]
    results[f"{key}_cpu_us"] = measured["cpu_us_per_event"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--backend", choices=["embedded", "rabbitmq", "both"], default="both")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--processor", action="store_true",
                        help="also measure the hub with one processor subscribed to every event")
    args = parser.parse_args()
    configure_logging("json", "warning")
    results: dict[str, float] = {}
    if args.backend in ("embedded", "both"):
        results["kombu_memory_roundtrip"] = kombu_memory_roundtrip(args.events)
        _hub_into(results, "hub_embedded", hub_end_to_end(args.events, "embedded"))
        results["ratio_embedded"] = results["hub_embedded"] / results["kombu_memory_roundtrip"]
        if args.processor:
            _hub_into(results, "hub_embedded_processor", hub_end_to_end(args.events, "embedded", True))
            results["ratio_embedded_processor"] = results["hub_embedded_processor"] / results["hub_embedded"]
    if args.backend in ("rabbitmq", "both"):
        results["rabbitmq_confirm_publish"] = rabbitmq_confirm_publish(args.events)
        results["raw_amqp_roundtrip"] = raw_amqp_roundtrip(args.events)
        _hub_into(results, "hub_rabbitmq", hub_end_to_end(args.events, "rabbitmq"))
        results["ratio_rabbitmq"] = results["hub_rabbitmq"] / results["rabbitmq_confirm_publish"]
        results["ratio_rabbitmq_roundtrip"] = results["hub_rabbitmq"] / results["raw_amqp_roundtrip"]
        if args.processor:
            _hub_into(results, "hub_rabbitmq_processor", hub_end_to_end(args.events, "rabbitmq", True))
            results["ratio_rabbitmq_processor"] = results["hub_rabbitmq_processor"] / results["hub_rabbitmq"]
    if args.json:
        print(json.dumps({k: round(v, 3) for k, v in results.items()}))
        return
    print(f"{args.events} events, 1 KB each")
    for key, value in results.items():
        unit = " µs/event (CPU)" if key.endswith("_cpu_us") else " /s"
        print(f"  {key:<30} {value:>10.3f}" if key.startswith("ratio") else f"  {key:<30} {value:>10.0f}{unit}")


if __name__ == "__main__":
    main()
