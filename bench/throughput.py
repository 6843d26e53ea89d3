"""Throughput of the hub, end to end, against raw baselines measured in the same run (docs/performance.md: these
machines are noisy, so only ratios measured together mean something).

    .venv/bin/python bench/throughput.py [--events 10000] [--backend embedded|rabbitmq|both] [--hub-processes N] [--json]

What is measured, with 1 KB JSON messages / CAL decisions (synthetic, tests/factories.py):

* ``kombu_memory_roundtrip``: kombu ``memory://`` publish → drain → ack, the ceiling of the embedded bus;
* ``rabbitmq_confirm_publish``: py-amqp persistent publishing to a quorum queue under pipelined publisher confirms
  (window 512), the ceiling of a durable hand-over to RabbitMQ;
* ``amqp_roundtrip``: the same publishing, with a consumer on a second connection acknowledging every message (prefetch
  512), timed until the last one is acknowledged: a durable publish → consume → ack of the same payloads, what the
  hub on RabbitMQ is compared with (issue 18);
* ``hub_embedded`` / ``hub_rabbitmq``: ``Hub.run()`` from decision files dropped in the inbox to every event
  delivered to a partner connector that accepts at once (no I/O, so the hub is what is measured): decode, contract
  checks, journal (group commit), outbox relay under confirms, bus, claim, access policy, encode, record, ack.
* ``hub_rabbitmq_<N>proc`` (``--hub-processes N``): N ``Hub.run`` processes, each a fresh interpreter, on one
  PostgreSQL journal and one RabbitMQ namespace, as a deployment runs several ``relais run``. Each process has its
  own home and ingests its share of the decision files from its own inbox, as behind a load-balanced gateway or
  one SFTP drop per machine (two processes scanning *one* inbox would both read every file: the journal absorbs the
  copies, but each event would be decoded twice); every process relays and delivers (the outbox shared with
  ``SKIP LOCKED``, each partner's quorum queue with one consumer per process, claims in the journal). Timed from
  the files' arrival in the inboxes of processes already started until every delivery is recorded; CPU per event
  is the sum of the processes' CPU over that time.
* with ``--processor``, the same again with one processor subscribed to every event (``#``) that writes one
  projection row per event, until the partner and the processor have both had every event
  (``hub_<backend>_processor``; ``ratio_<backend>_processor`` is against the hub without it, in the same run).

The ratios printed are hub / baseline, for the same transport. ``run(quick)`` gives the rows of ``python -m bench``,
each measurement in a fresh interpreter (``bench.common.isolated``); p50/p99 of the hub rows are per event, from
its ``recorded_at`` in the journal to its delivery record's ``updated_at``.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from kombu import Connection, Consumer, Exchange, Producer, Queue
from sqlalchemy import Column, MetaData, String, Table, create_engine, func, select

from bench.common import isolated, percentiles, row, scratch_postgres, sized
from hub import Connector, PartnerRole, Processor, hookimpl
from hub.core.journal_schema import DeliveryStatus
from hub.core.logging import configure_logging
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.settings import HubSettings

AMQP_URL = "amqp://guest:guest@127.0.0.1:5672//"
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


def amqp_roundtrip(n: int, window: int = 512) -> float:
    """Persistent publish under pipelined confirms → consume (second connection, prefetch ``window``) → ack, until
    the last message is acknowledged: the raw durable round trip the hub's RabbitMQ path is measured against."""
    name = f"bench{uuid.uuid4().hex[:8]}"
    with Connection(AMQP_URL) as conn, Connection(AMQP_URL) as consuming:
        channel = conn.channel()
        queue = Queue(name, durable=True, queue_arguments={"x-queue-type": "quorum"})
        queue(channel).declare()
        outstanding: set[int] = set()
        acked = [0]

        def on_ack(tag: int, multiple: bool) -> None:
            outstanding.difference_update([t for t in outstanding if t <= tag] if multiple else [tag])

        def on_message(_body, message) -> None:
            message.ack()
            acked[0] += 1

        def consume(done: threading.Event) -> None:
            while acked[0] < n and not done.is_set():
                try:
                    consuming.drain_events(timeout=0.2)
                except TimeoutError:
                    continue

        channel.confirm_select()
        channel.events["basic_ack"].add(on_ack)
        consumer_channel = consuming.channel()
        consumer_channel.basic_qos(0, window, False)
        consumer = Consumer(consumer_channel, [queue], callbacks=[on_message], accept=["application/json"])
        producer = Producer(channel)
        done = threading.Event()
        try:
            with consumer:
                reader = threading.Thread(target=consume, args=(done,))
                started = time.perf_counter()
                reader.start()
                for tag in range(1, n + 1):
                    while len(outstanding) >= window:
                        conn.drain_events(timeout=5)
                    producer.publish(BODY, routing_key=name, delivery_mode=2, content_type="application/json",
                                     content_encoding="utf-8", retry=False)
                    outstanding.add(tag)
                while outstanding:
                    conn.drain_events(timeout=5)
                reader.join(timeout=60)
                elapsed = time.perf_counter() - started
                if acked[0] < n:
                    raise RuntimeError(f"only {acked[0]} of {n} messages consumed")
                return n / elapsed
        finally:
            done.set()
            channel.queue_delete(name)


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

    It writes through ``ctx.write`` (hub.core.processing): its statement is built once and given its values as
    parameters, and the hub runs a batch's rows as one executemany in the batch's transaction — the way a production
    engine lets a processor write its projection, and what a write-only projection should do. Measured on the same
    morning (bench/README.md, "Fifth round"), the same row written per event through ``ctx.conn.execute`` cost
    ~12 µs more per event on SQLite and ~38 on PostgreSQL (a round trip each); set ``PLAIN_WRITES`` to measure that
    path. What is measured here is the hub's cost of hosting a processor, plus one cheap write per event."""

    name = "bench_processor"
    subscriptions = ("#",)
    tables = _seen_meta
    #: write each row at once through ``ctx.conn.execute`` instead (RELAIS_BENCH_PLAIN_WRITES=1): the other path
    PLAIN_WRITES = os.environ.get("RELAIS_BENCH_PLAIN_WRITES") == "1"

    def process(self, event, ctx):
        if self.PLAIN_WRITES:
            ctx.conn.execute(_record_seen, {"event_id": event.id, "type": event.type})
        else:
            ctx.write(_record_seen, {"event_id": event.id, "type": event.type})
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
    _write_inbox(home / "inbox" / "bailleurs", n)
    host = PluginHost.load(allow=["bailleurs"], extra=[])
    host.register(BenchPlugin(processor), name="bench")
    with ExitStack() as scratch:
        if backend == "rabbitmq":
            overrides.update(journal_url=scratch.enter_context(scratch_postgres()), broker_url=AMQP_URL)
        with Hub(HubSettings(**overrides), host) as hub:
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
            p50, p99 = percentiles(delivery_latencies(hub, "bench_partner"))
            _cleanup_queues(hub) if hub.bus.is_amqp else None
    return {"events_per_s": n / elapsed, "seconds": elapsed, "cpu_us_per_event": cpu / n * 1e6,
            "p50_ms": p50, "p99_ms": p99}


def delivery_latencies(hub: Hub, subscriber: str) -> list[float]:
    """Seconds from each event's journaling to its delivery record, for ``subscriber``."""
    return _latencies(hub.journal.engine, subscriber)


def _latencies(engine, subscriber: str) -> list[float]:
    from hub.core.journal_schema import deliveries, events
    query = (select(events.c.recorded_at, deliveries.c.updated_at)
             .join(deliveries, deliveries.c.seq == events.c.seq)
             .where(deliveries.c.subscriber == subscriber, deliveries.c.status == DeliveryStatus.DELIVERED))
    with engine.connect() as conn:
        return [(done - recorded).total_seconds() for recorded, done in conn.execute(query)]


def hub_processes(n: int, processes: int) -> dict[str, float]:
    """``processes`` hub processes on one PostgreSQL journal and one RabbitMQ namespace (see the module docstring):
    events/s from the files' arrival to the last delivery record, and the processes' CPU per event."""
    root = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    with scratch_postgres() as journal_url:
        return _hub_processes(n, processes, root, journal_url, namespace)


def _hub_processes(n: int, processes: int, root: Path, journal_url: str, namespace: str) -> dict[str, float]:
    from hub.core.journal_schema import deliveries
    staged = root / "staged"
    _write_inbox(staged, n)
    files = sorted(staged.iterdir())
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    children: list[subprocess.Popen] = []
    try:
        for i in range(processes):
            config = {"home": str(root / f"home{i}"), "journal_url": journal_url, "namespace": namespace}
            children.append(subprocess.Popen([sys.executable, "-m", "bench.throughput", "--serve", json.dumps(config)],
                                             stdout=subprocess.PIPE, text=True, cwd=ROOT, env=env))
        for child in children:   # each has opened the journal, declared the queues, and its hub runs
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError("a hub process failed to start")
        journal = create_engine(journal_url)
        delivered = (select(func.count()).select_from(deliveries)
                     .where(deliveries.c.subscriber == "bench_partner",
                            deliveries.c.status == DeliveryStatus.DELIVERED))
        started = time.perf_counter()
        for index, file in enumerate(files):   # a rename: a scan never sees half a file
            file.rename(root / f"home{index % processes}" / "inbox" / "bailleurs" / file.name)
        while True:   # every 50 ms, as hub_end_to_end's watcher
            with journal.connect() as conn:
                if conn.execute(delivered).scalar_one() >= n:
                    break
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        for child in children:
            child.send_signal(signal.SIGTERM)
        cpu = sum(float(child.communicate(timeout=120)[0].strip().splitlines()[-1]) for child in children)
        p50, p99 = percentiles(_latencies(journal, "bench_partner"))
        journal.dispose()
        return {"events_per_s": n / elapsed, "seconds": elapsed, "cpu_us_per_event": cpu / n * 1e6,
                "p50_ms": p50, "p99_ms": p99}
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
        _cleanup_namespace(namespace)


def serve(config: dict) -> None:
    """One of :func:`hub_processes`' hubs: prints ``ready`` once running; on SIGTERM stops, then prints the CPU
    seconds it used in between."""
    configure_logging("json", "warning")
    home = Path(config["home"])
    (home / "inbox" / "bailleurs").mkdir(parents=True)
    settings = HubSettings(home=home, seed_examples=False, namespace=config["namespace"],
                           journal_url=config["journal_url"], broker_url=AMQP_URL, poll_interval=0.05)
    host = PluginHost.load(allow=["bailleurs"], extra=[])
    host.register(BenchPlugin(False), name="bench")
    stop = threading.Event()
    cpu = [0.0]

    def on_term(_signum, _frame) -> None:
        cpu[0] = time.process_time() - cpu[0]
        stop.set()

    signal.signal(signal.SIGTERM, on_term)
    with Hub(settings, host) as hub:
        hub.start()
        runner = threading.Thread(target=hub.run, args=(stop,))
        runner.start()
        cpu[0] = time.process_time()
        print("ready", flush=True)
        while not stop.is_set():
            stop.wait(0.2)
        runner.join()
    print(cpu[0], flush=True)


def _cleanup_queues(hub: Hub) -> None:
    _cleanup_namespace(hub.bus.topology.namespace)


def _cleanup_namespace(ns: str) -> None:
    from hub.core.bus import RETRY_TIERS_MS
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


def measure_baseline(kind: str, n: int) -> dict[str, float]:
    """One baseline, for :func:`bench.common.isolated`."""
    configure_logging("json", "warning")
    rate = {"kombu_memory_roundtrip": kombu_memory_roundtrip, "rabbitmq_confirm_publish": rabbitmq_confirm_publish,
            "amqp_roundtrip": amqp_roundtrip}[kind](n)
    return {"events_per_s": rate}


def measure_hub(n: int, backend: str, processor: bool = False, processes: int = 1) -> dict[str, float]:
    """The hub end to end, for :func:`bench.common.isolated` (``processes`` > 1: that many on RabbitMQ)."""
    configure_logging("json", "warning")
    if processes > 1:
        return hub_processes(n, processes)
    return hub_end_to_end(n, backend, processor)


def run(quick: bool = False, events: int | None = None) -> list[dict]:
    """The rows of ``python -m bench``: each baseline, then the hub against it, then the hub with a processor
    subscribed to every event against the hub without it (issue 18: at least 0.7)."""
    n = events or sized(quick, full=10_000, quick=8_000, tiny=100)
    rows = []
    kombu = row("kombu_memory_roundtrip", isolated("throughput", "measure_baseline", kind="kombu_memory_roundtrip",
                                                      n=n * 2))
    embedded = row("hub_embedded", isolated("throughput", "measure_hub", n=n, backend="embedded"), baseline=kombu,
                   target=">= 0.4")
    embedded_p = row("hub_embedded_processor", isolated("throughput", "measure_hub", n=n, backend="embedded",
                                                        processor=True), baseline=embedded, target=">= 0.7")
    rows += [kombu, embedded, embedded_p]
    publish = row("rabbitmq_confirm_publish", isolated("throughput", "measure_baseline",
                                                       kind="rabbitmq_confirm_publish", n=n * 2))
    roundtrip = row("amqp_roundtrip", isolated("throughput", "measure_baseline", kind="amqp_roundtrip", n=n * 2))
    rabbit = row("hub_rabbitmq", isolated("throughput", "measure_hub", n=n, backend="rabbitmq"), baseline=roundtrip,
                 target=">= 0.5")
    rabbit_p = row("hub_rabbitmq_processor", isolated("throughput", "measure_hub", n=n, backend="rabbitmq",
                                                      processor=True), baseline=rabbit, target=">= 0.7")
    rows += [publish, roundtrip, rabbit, rabbit_p]
    # several processes in full mode only: each row starts a few more interpreters, too long for --quick
    for processes in () if quick else (2, 3):
        rows.append(row(f"hub_rabbitmq_{processes}proc", isolated("throughput", "measure_hub", n=n,
                                                                   backend="rabbitmq", processes=processes),
                        baseline=roundtrip, target=">= 0.5"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--backend", choices=["embedded", "rabbitmq", "both"], default="both")
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    parser.add_argument("--processor", action="store_true",
                        help="also measure the hub with one processor subscribed to every event")
    parser.add_argument("--hub-processes", type=int, default=1, metavar="N",
                        help="RabbitMQ: also measure N hub processes on one journal and namespace")
    parser.add_argument("--serve", help=argparse.SUPPRESS)   # one of hub_processes' hubs
    args = parser.parse_args()
    if args.serve:
        serve(json.loads(args.serve))
        return
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
        results["amqp_roundtrip"] = amqp_roundtrip(args.events)
        _hub_into(results, "hub_rabbitmq", hub_end_to_end(args.events, "rabbitmq"))
        results["ratio_rabbitmq"] = results["hub_rabbitmq"] / results["amqp_roundtrip"]
        if args.hub_processes > 1:
            key = f"hub_rabbitmq_{args.hub_processes}proc"
            _hub_into(results, key, hub_processes(args.events, args.hub_processes))
            results[f"ratio_rabbitmq_{args.hub_processes}proc"] = results[key] / results["amqp_roundtrip"]
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
