"""Benchmark: webhook deliveries per second through the hub's delivery path, against a bare httpx client posting
the same payloads to the same receiver in the same run (the baseline).

Why: issue 17 asks what a partner's webhook costs; ``HttpTarget`` was measured at ≈ 0.7 ms of CPU per POST. The
hub's path adds the queue, the journal's claim and outcome (group commit per batch), the access check, the
rendering and the signature. The receiver is a stdlib HTTP server answering 204 in a **subprocess** (so that it does
not share this process's GIL), on a loopback port.

    .venv/bin/python bench/webhooks.py [--quick] [--json]

Rows (``run(quick)``, for ``python -m bench``): ``name``, ``events_per_s``, ``p50_ms``/``p99_ms`` (per POST, the
baseline only: the hub's deliveries are batched, their latency is the queue's), ``peak_rss_mb`` (this process's
peak so far: the phases run one after the other), ``baseline`` (the bare client's rate) and ``ratio``
(rate / baseline). Embedded hub (SQLite, in-process transport) in a temporary home.
"""

from __future__ import annotations

import argparse
import json
import resource
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from contracts import REGISTRY, DecisionCal, LegalEntity  # noqa: E402
from hub.core.channels import ChannelKind  # noqa: E402
from hub.core.journal_schema import DeliveryStatus  # noqa: E402
from hub.core.logging import configure_logging  # noqa: E402
from hub.core.plugins import PluginHost  # noqa: E402
from hub.core.runtime import Hub  # noqa: E402
from hub.settings import HubSettings  # noqa: E402

ENTITY = LegalEntity(siren="276300019", nom="Bench")
SECRET = "whsec_bench-secret-0123456789abcdef"


def _serve_receiver(port: int, latency_ms: float) -> None:
    """The receiver process: read the body, wait ``latency_ms`` (a partner's server and network), answer 204;
    keep-alive so that a pool is used as a partner's would."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            if latency_ms:
                time.sleep(latency_ms / 1000)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return

    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_receiver(latency_ms: float = 0.0) -> tuple[subprocess.Popen, str]:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, __file__, "--receiver", str(port), "--latency-ms", str(latency_ms)])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}/events"
        except OSError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("the receiver did not start")


def make_events(n: int) -> list:
    return [REGISTRY.build(DecisionCal(numero_unique=f"06311250{i:06d}GT63", rpls=f"63{i:08d}", commune="63430",
                                       date_commission="2026-11-20", decision="attribution"),
                           source="bench", entity=ENTITY, sourcemessageid=f"m{i}") for i in range(n)]


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def bare_httpx(url: str, events: list, label: str = "") -> dict[str, Any]:
    """The baseline: one client, one connection, the same bodies POSTed one after the other."""
    bodies = [(e.id, e.model_dump_json().encode()) for e in events]
    latencies = []
    with httpx.Client(timeout=30) as client:
        started = time.perf_counter()
        for event_id, body in bodies:
            t0 = time.perf_counter()
            client.post(url, content=body, headers={"Content-Type": "application/json", "Idempotency-Key": event_id})
            latencies.append((time.perf_counter() - t0) * 1000)
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {"name": f"webhooks: bare httpx client{label}", "events_per_s": round(len(bodies) / elapsed, 1),
            "p50_ms": round(statistics.median(latencies), 3),
            "p99_ms": round(latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))], 3),
            "peak_rss_mb": _peak_rss_mb(), "baseline": None, "ratio": None}


def through_hub(url: str, events: list, concurrency: int, label: str = "") -> dict[str, Any]:
    """The hub's path: events journaled (routed to the partner's subscriber), then ``Hub.run`` delivers them; timed
    from the start of the run to the last delivery recorded."""
    with tempfile.TemporaryDirectory() as tmp:
        settings = HubSettings(home=Path(tmp) / "home", seed_examples=False, namespace=f"b{uuid.uuid4().hex[:8]}",
                               connectors={"bailleurs": {}}, batch_wait=0.005)
        with Hub(settings, PluginHost.load(allow=["bailleurs"])) as hub:
            hub.partners.add("landlord", siren="276300019", nom="Bench", role="bailleur", connector="bailleurs")
            hub.channels.set("landlord", ChannelKind.WEBHOOK, url=url, secret=SECRET, concurrency=concurrency)
        with Hub(settings, PluginHost.load(allow=["bailleurs"])) as hub:
            for i in range(0, len(events), 500):
                hub.journal.append(events[i:i + 500])
            stop = threading.Event()
            runner = threading.Thread(target=hub.run, args=(stop,), daemon=True)
            started = time.perf_counter()
            runner.start()
            key = ("partner.landlord", DeliveryStatus.DELIVERED)
            while hub.journal.delivery_counts().get(key, 0) < len(events):
                time.sleep(0.01)
            elapsed = time.perf_counter() - started
            stop.set()
            runner.join(timeout=60)
    return {"name": f"webhooks: through the hub, concurrency {concurrency}{label}",
            "events_per_s": round(len(events) / elapsed, 1), "p50_ms": None, "p99_ms": None,
            "peak_rss_mb": _peak_rss_mb(), "baseline": None, "ratio": None}


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows for the bench runner: against an instant receiver, the bare client (the baseline) then the hub at
    concurrency 1 and 4; against a receiver taking 20 ms (a partner's server), the same three — where a partner's
    concurrency pays."""
    rows: list[dict[str, Any]] = []
    for latency_ms, n in ((0.0, 300 if quick else 2000), (20.0, 100 if quick else 400)):
        label = f" ({latency_ms:g} ms receiver)"
        events = make_events(n)
        proc, url = _start_receiver(latency_ms)
        try:
            baseline = bare_httpx(url, events, label)
            measured = [through_hub(url, events, c, label) for c in (1, 4)]
        finally:
            proc.kill()
            proc.wait()
        for row in measured:
            row["baseline"] = baseline["events_per_s"]
            row["ratio"] = round(row["events_per_s"] / baseline["events_per_s"], 3)
        rows += [baseline, *measured]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="300 events instead of 2000.")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--latency-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.receiver:
        _serve_receiver(args.receiver, args.latency_ms)
        return
    configure_logging("console", "warning")   # a log line per delivery would be measured too
    rows = run(args.quick)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    for row in rows:
        ratio = f"  ×{row['ratio']:.2f} of the bare client" if row["ratio"] is not None else ""
        latency = f"  p50 {row['p50_ms']} ms p99 {row['p99_ms']} ms" if row["p50_ms"] is not None else ""
        print(f"{row['name']:<46} {row['events_per_s']:>8.1f} events/s{latency}  peak RSS {row['peak_rss_mb']} MiB"
              f"{ratio}")


if __name__ == "__main__":
    main()
