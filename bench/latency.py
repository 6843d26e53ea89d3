"""End-to-end latency at a steady 1,000 events/s on RabbitMQ + PostgreSQL (issue 18: p99 ≤ 50 ms).

A producer thread decodes one message of 10 CAL decisions every 10 ms through the bailleurs connector and hands it
to the gateway's group committer (``hub.gateway.commit.InboundCommitter``, what an accepted POST goes through: it
does not wait for one commit per message), paced on a wall-clock schedule (a late tick does not
send a burst to catch up), while ``Hub.run()`` relays, routes and delivers to a partner that accepts at once. The
latency of an event is from the moment its message was handed to the ingestor to its delivery record
(``deliveries.updated_at``), so it includes journaling, the outbox relay under confirms, the bus, the claim and the
record. The baseline row is the offered rate itself: the hub must keep up (ratio ≈ 1.0) and hold p99 under 50 ms.

``hub_rabbitmq_steady_1000``: one process runs the producer and the hub (they share the interpreter), as
``relais run --http`` would. ``hub_rabbitmq_steady_1000_2proc`` (full mode only): two such processes on one journal
and one namespace, each offered half the rate — what a deployment behind a load balancer does (README, "Several hub
processes"): every process decodes, journals, relays and delivers, and the GIL of each has half the work.

    .venv/bin/python -m bench.latency [--seconds 20] [--rate 1000] [--processes 1]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import Future
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bench.common import ROOT, isolated, percentiles, row, scratch_postgres, sized
from bench.throughput import AMQP_URL, BenchPlugin, _cleanup_namespace
from hub.core.connector import RawMessage
from hub.core.journal_schema import DeliveryStatus, deliveries, events
from hub.core.logging import configure_logging
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway.commit import DecodedMessage, InboundCommitter
from hub.settings import HubSettings

PER_MESSAGE = 10
SUBSCRIBER = "bench_partner"


def _bodies(count: int, part: int = 0) -> list[bytes]:
    """``count`` messages of ``PER_MESSAGE`` decisions; each ``part`` (hub process) its own (the factories are
    seeded: two processes would otherwise send the same events, the second's all duplicates)."""
    from faker import Faker

    from tests import factories
    from tests.factories import decision, decisions_document
    if part:
        Faker.seed(part)
        factories._rng.seed(part)
    return [json.dumps(decisions_document([decision() for _ in range(PER_MESSAGE)])).encode() for _ in range(count)]


def _offer(hub: Hub, bodies: list[bytes], rate: float, start: float) -> tuple[dict[str, float], float]:
    """Hand ``bodies`` to the gateway's committer, one message every ``PER_MESSAGE / rate`` s from wall-clock
    ``start``; returns each journaled event's hand-over time (epoch seconds) and the seconds the offer took."""
    connector = hub.connector("bailleurs")
    committer = InboundCommitter(hub.ingestor, hub.settings.batch_size)
    pending: list[tuple[float, Future]] = []
    period = PER_MESSAGE / rate
    for index, body in enumerate(bodies):
        delay = start + index * period - time.time()
        if delay > 0:
            time.sleep(delay)
        handed = time.time()
        raw = RawMessage.from_bytes(body, f"bench-{index}.json")
        accepted, rejected = hub.ingestor.decode(connector, raw)
        pending.append((handed, committer.submit(DecodedMessage(raw, accepted, rejected))))
    offered = time.time() - start
    sent_at: dict[str, float] = {}
    for handed, future in pending:
        sent_at.update((event_id, handed) for event_id in future.result(timeout=60).journaled)
    committer.close()
    return sent_at, offered


def _settings(home: Path, journal_url: str, namespace: str) -> HubSettings:
    return HubSettings(home=home, seed_examples=False, namespace=namespace, journal_url=journal_url,
                       broker_url=AMQP_URL)


def _host() -> PluginHost:
    host = PluginHost.load(allow=["bailleurs"], extra=[])
    host.register(BenchPlugin(False), name="bench")
    return host


def _delivered(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(deliveries).where(
            deliveries.c.subscriber == SUBSCRIBER, deliveries.c.status == DeliveryStatus.DELIVERED)).scalar_one()


def _latencies(engine, sent_at: dict[str, float]) -> list[float]:
    query = (select(events.c.id, deliveries.c.updated_at).join(deliveries, deliveries.c.seq == events.c.seq)
             .where(deliveries.c.subscriber == SUBSCRIBER, deliveries.c.status == DeliveryStatus.DELIVERED))
    with engine.connect() as conn:
        return [done.timestamp() - sent_at[event_id] for event_id, done in conn.execute(query)]


def steady(seconds: float, rate: int = 1_000, processes: int = 1) -> dict[str, float]:
    """Offer ``rate`` events/s for ``seconds`` (shared by ``processes`` hub processes); p50/p99 from hand-over to
    delivery record, and the rate achieved."""
    configure_logging("json", "warning")
    root = Path(tempfile.mkdtemp(prefix="relais-bench-"))
    namespace = f"bench{uuid.uuid4().hex[:8]}"
    messages = int(seconds * rate / PER_MESSAGE)
    with scratch_postgres() as journal_url:
        journal = create_engine(journal_url)
        try:
            sent_at, offered, drained, latencies = _measure(root, journal, journal_url, namespace, messages, rate,
                                                            processes)
        finally:
            journal.dispose()
            _cleanup_namespace(namespace)
    p50, p99 = percentiles(latencies)
    return {"events_per_s": len(latencies) / drained, "offered_per_s": len(sent_at) / offered, "p50_ms": p50,
            "p99_ms": p99, "delivered": len(latencies), "journaled": len(sent_at), "processes": processes}


def _measure(root: Path, journal, journal_url: str, namespace: str, messages: int, rate: int,
             processes: int) -> tuple[dict, float, float, list[float]]:
    """The run itself: hand-over times by event id, seconds offering and draining, and each event's latency."""
    if processes == 1:
        with Hub(_settings(root / "home", journal_url, namespace), _host()) as hub:
            hub.start()
            bodies = _bodies(messages)
            stop = threading.Event()
            runner = threading.Thread(target=hub.run, args=(stop,))
            runner.start()
            sent_at, offered = _offer(hub, bodies, rate, time.time())
            drained = _wait_delivered(journal, len(sent_at), time.time() - offered)
            stop.set()
            runner.join()
    else:
        sent_at, offered, drained = _in_processes(root, journal_url, namespace, messages, rate, processes)
    return sent_at, offered, drained, _latencies(journal, sent_at)


def _wait_delivered(journal, total: int, started: float) -> float:
    """Seconds from ``started`` (epoch) until ``total`` deliveries are recorded (at most two minutes)."""
    deadline = time.monotonic() + 120
    while _delivered(journal) < total and time.monotonic() < deadline:
        time.sleep(0.02)
    return time.time() - started


def _in_processes(root: Path, journal_url: str, namespace: str, messages: int, rate: int,
                  processes: int) -> tuple[dict[str, float], float, float]:
    """``processes`` hub processes, each offered ``rate / processes`` from a common start, their offers interleaved."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    children = []
    try:
        for i in range(processes):
            config = {"home": str(root / f"home{i}"), "journal_url": journal_url, "namespace": namespace,
                      "messages": messages // processes, "rate": rate / processes, "part": i + 1}
            children.append(subprocess.Popen([sys.executable, "-m", "bench.latency", "--serve", json.dumps(config)],
                                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT,
                                             env=env))
        for child in children:   # each has opened the journal, declared the queues, and its hub runs
            if child.stdout.readline().strip() != "ready":
                raise RuntimeError("a hub process failed to start")
        start = time.time() + 0.5
        period = PER_MESSAGE / rate
        for i, child in enumerate(children):   # process i sends at start + i·period, + processes·period, …
            child.stdin.write(f"{start + i * period}\n")
            child.stdin.flush()
        sent_at: dict[str, float] = {}
        offered = 0.0
        for child in children:
            mine, took = json.loads(child.stdout.readline())
            sent_at.update(mine)
            offered = max(offered, took)
        journal = create_engine(journal_url)
        drained = _wait_delivered(journal, len(sent_at), start)
        journal.dispose()
        for child in children:
            child.stdin.write("stop\n")
            child.stdin.flush()
            child.wait(timeout=120)
        return sent_at, offered, drained
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()


def serve(config: dict) -> None:
    """One of :func:`_in_processes`' hubs: prints ``ready`` once running, reads the start time, offers its share,
    prints its hand-over times, and runs until it reads ``stop``."""
    configure_logging("json", "warning")
    with Hub(_settings(Path(config["home"]), config["journal_url"], config["namespace"]), _host()) as hub:
        hub.start()
        bodies = _bodies(config["messages"], config["part"])
        stop = threading.Event()
        runner = threading.Thread(target=hub.run, args=(stop,))
        runner.start()
        print("ready", flush=True)
        start = float(sys.stdin.readline())
        sent_at, offered = _offer(hub, bodies, config["rate"], start)
        print(json.dumps([sent_at, offered]), flush=True)
        sys.stdin.readline()
        stop.set()
        runner.join()


def run(quick: bool = False) -> list[dict]:
    seconds = sized(quick, full=20, quick=6, tiny=0.3)
    measured = isolated("latency", "steady", seconds=seconds)
    offered = row("offered_1000_per_s", {"events_per_s": measured["offered_per_s"]})
    rows = [offered, row("hub_rabbitmq_steady_1000", measured, baseline=offered, target="p99 <= 50 ms, ratio ~ 1.0")]
    if not quick:   # two more interpreters: full mode only
        two = isolated("latency", "steady", seconds=seconds, processes=2)
        rows.append(row("hub_rabbitmq_steady_1000_2proc", two, baseline=offered,
                        target="p99 <= 50 ms, ratio ~ 1.0 (two hub processes)"))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--rate", type=int, default=1_000)
    parser.add_argument("--processes", type=int, default=1)
    parser.add_argument("--serve", help=argparse.SUPPRESS)   # one of _in_processes' hubs
    args = parser.parse_args()
    if args.serve:
        serve(json.loads(args.serve))
        return
    print(json.dumps(steady(args.seconds, args.rate, args.processes), indent=2))


if __name__ == "__main__":
    main()
