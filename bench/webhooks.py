"""Benchmark: webhook deliveries per second through the hub's delivery path, against a bare httpx client posting
the same payloads to the same receiver in the same run (the baseline).

Why: issue 17 asks what a partner's webhook costs; ``HttpTarget`` was measured at ≈ 0.7 ms of CPU per POST. The
hub's path adds the queue, the journal's claim and outcome (group commit per batch), the access check, the
rendering and the signature. The receiver is a stdlib HTTP server answering 204 in a **subprocess** (so that it does
not share this process's GIL), on a loopback port.

    .venv/bin/python bench/webhooks.py [--quick] [--json]

Rows (``run(quick)``, for ``python -m bench``, each measurement in a fresh interpreter: ``bench.common.isolated``):
``webhooks_bare_httpx_<latency>ms`` (the baseline; p50/p99 per POST), then ``webhooks_hub_concurrency_<c>_<latency>ms``
for a partner's concurrency 1 and 4, their ratio against that baseline (no p50/p99: the hub's deliveries are
batched, their latency is the queue's). Embedded hub (SQLite, in-process transport) in a temporary home; the
receiver is shared by the three rows of a latency.
"""

from __future__ import annotations

import argparse
import json
import socket
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

from bench.common import isolated, percentiles, row, sized  # noqa: E402
from contracts import REGISTRY, DecisionCal, LegalEntity  # noqa: E402
from hub.core.channels import ChannelKind  # noqa: E402
from hub.core.journal_schema import DeliveryStatus  # noqa: E402
from hub.core.logging import configure_logging  # noqa: E402
from hub.core.plugins import PluginHost  # noqa: E402
from hub.core.runtime import Hub  # noqa: E402
from hub.settings import HubSettings  # noqa: E402

ENTITY = LegalEntity(siren="276300019", nom="Bench")
SECRET = "whsec_bench-secret-0123456789abcdef"

#: No issue sets a figure for webhooks (issue 17 asks what one costs); what each row is expected to show.
TARGETS = {1: "what the hub's path costs: <= 1", 4: "> 1 with the 20 ms receiver (latency overlapped)"}


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
    proc = subprocess.Popen([sys.executable, __file__, "--receiver", str(port), "--latency-ms", str(latency_ms)],
                            stdout=subprocess.DEVNULL)
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


def bare_httpx(url: str, n: int) -> dict[str, Any]:
    """The baseline: one client, one connection, the same bodies POSTed one after the other (for
    :func:`bench.common.isolated`); p50/p99 per POST."""
    bodies = [(e.id, e.model_dump_json().encode()) for e in make_events(n)]
    latencies = []
    with httpx.Client(timeout=30) as client:
        started = time.perf_counter()
        for event_id, body in bodies:
            t0 = time.perf_counter()
            client.post(url, content=body, headers={"Content-Type": "application/json", "Idempotency-Key": event_id})
            latencies.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
    p50, p99 = percentiles(latencies)
    return {"events_per_s": len(bodies) / elapsed, "p50_ms": p50, "p99_ms": p99}


def through_hub(url: str, n: int, concurrency: int) -> dict[str, Any]:
    """The hub's path (for :func:`bench.common.isolated`): events journaled (routed to the partner's subscriber),
    then ``Hub.run`` delivers them; timed from the start of the run to the last delivery recorded. Logging at
    warning, as a deployment's: a line per delivery would be measured too."""
    configure_logging("json", "warning")
    events = make_events(n)
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
    return {"events_per_s": len(events) / elapsed}


def run(quick: bool) -> list[dict[str, Any]]:
    """Rows for the bench runner, each measurement in a fresh interpreter: against an instant receiver, the bare
    client (the baseline) then the hub at concurrency 1 and 4; against a receiver taking 20 ms (a partner's
    server), the same three — where a partner's concurrency pays."""
    sizes = sized(quick, full=(2_000, 400), quick=(1_000, 200), tiny=(20, 10))
    rows: list[dict[str, Any]] = []
    for latency_ms, n in zip((0, 20), sizes, strict=True):
        proc, url = _start_receiver(latency_ms)
        try:
            bare = row(f"webhooks_bare_httpx_{latency_ms}ms", isolated("webhooks", "bare_httpx", url=url, n=n))
            rows.append(bare)
            for concurrency in (1, 4):
                rows.append(row(f"webhooks_hub_concurrency_{concurrency}_{latency_ms}ms",
                                isolated("webhooks", "through_hub", url=url, n=n, concurrency=concurrency),
                                baseline=bare, target=TARGETS[concurrency]))
        finally:
            proc.kill()
            proc.wait()
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="the sizes of python -m bench --quick")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--receiver", type=int, metavar="PORT", help=argparse.SUPPRESS)
    ap.add_argument("--latency-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.receiver:
        _serve_receiver(args.receiver, args.latency_ms)
        return
    rows = run(args.quick)
    if args.json:
        print(json.dumps(rows, indent=2))
        return
    from bench.__main__ import table
    print(table(rows))


if __name__ == "__main__":
    main()
