"""The HTTP gateway: accepted CAL-decision POSTs per second and their p50/p99, against a trivial endpoint of the
same server in the same run, and the server's memory for one large body of 1, 5 and 19 MB.

The server is a real uvicorn (``hub.gateway.GatewayServer``) in a subprocess (``python -m bench.gateway serve``):
an embedded hub (SQLite journal) with the bailleurs connector, its per-partner rate limit off and 64 requests in
flight allowed, plus two bench-only routes: ``GET /bench/noop`` (the baseline: routing, the event loop, h11, no
work) and ``GET /bench/memory`` (the server's current and peak RSS; ``?reset=1`` resets the peak to now through
``/proc/self/clear_refs``). The load is httpx async with 32 concurrent requests, each POST one decision, every one
unique (so each is journaled, not recognised as a resend).

Memory: for each body size S the peak is reset, one POST of S MB of decisions is sent, and the growth of the
server's peak RSS over its RSS before is reported, as MB and as a multiple of S (issue 18: a small multiple).

    .venv/bin/python -m bench.gateway [--requests 3000] [--sizes 1 5 19]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, percentiles, row, sized

KEY = "k-bench-gateway"
CONCURRENCY = 32


# --- the server (subprocess) ----------------------------------------------------------------------------------
def serve(port: int) -> None:
    from fastapi.responses import JSONResponse

    from hub.core.logging import configure_logging
    from hub.core.plugins import PluginHost
    from hub.core.runtime import Hub
    from hub.gateway import GatewayServer
    from hub.settings import HubSettings

    configure_logging("json", "warning")
    home = Path(tempfile.mkdtemp(prefix="relais-bench-gw-")) / "home"
    settings = HubSettings(home=home, seed_examples=False, gateway_rate_per_partner=0,
                           gateway_max_requests_per_partner=64,
                           connectors={"bailleurs": {"api_keys": [KEY]}})
    with Hub(settings, PluginHost.load(allow=["bailleurs"])) as hub:
        server = GatewayServer(hub, "127.0.0.1", port)

        @server.app.get("/bench/noop")
        async def noop() -> JSONResponse:
            return JSONResponse({"ok": True})

        @server.app.get("/bench/memory")
        async def memory(reset: int = 0) -> JSONResponse:
            if reset:   # a write to procfs: it does not block
                with open("/proc/self/clear_refs", "w") as refs:  # noqa: ASYNC230
                    refs.write("5")
            return JSONResponse(_status_mb())

        server.start()
        print("ready", flush=True)
        sys.stdin.read()            # the bench closes stdin to stop the server
        server.stop()


def _status_mb() -> dict[str, float]:
    with open("/proc/self/status") as status:
        fields = dict(line.split(":", 1) for line in status)
    return {"rss_mb": int(fields["VmRSS"].split()[0]) / 1024, "peak_mb": int(fields["VmHWM"].split()[0]) / 1024}


# --- the load (bench side) ------------------------------------------------------------------------------------
def _bodies(count: int, per_body: int = 1) -> list[bytes]:
    from tests.factories import decision, decisions_document
    model = decision()
    return [json.dumps(decisions_document([dict(model, id=f"GW-{i}-{j}", numero_unique=f"0631{i * per_body + j:09d}G6301")
                                           for j in range(per_body)])).encode() for i in range(count)]


async def _load(port: int, method: str, path: str, bodies: list[bytes] | None, count: int) -> dict[str, float]:
    import httpx
    latencies: list[float] = []
    accepted = 0
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(count):
        queue.put_nowait(index)
    headers = {"X-Relais-Api-Key": KEY, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
        async def worker() -> None:
            nonlocal accepted
            while not queue.empty():
                index = queue.get_nowait()
                started = time.perf_counter()
                if bodies is None:
                    answer = await client.request(method, path)
                else:
                    answer = await client.request(method, path, content=bodies[index], headers=headers)
                latencies.append(time.perf_counter() - started)
                accepted += answer.status_code < 300
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    p50, p99 = percentiles(latencies)
    return {"events_per_s": accepted / elapsed, "p50_ms": p50, "p99_ms": p99, "accepted": accepted}


def _large(port: int, megabytes: float) -> dict[str, float]:
    import httpx
    one = len(_bodies(1, 100)[0]) / 100
    count = int(megabytes * 2**20 / one)
    body = _bodies(1, count)[0] if count < 10**6 else b""
    base = f"http://127.0.0.1:{port}"
    before = httpx.get(f"{base}/bench/memory", params={"reset": 1}).json()
    started = time.perf_counter()
    answer = httpx.post(f"{base}/v1/inbound/bailleurs", content=body, timeout=600,
                        headers={"X-Relais-Api-Key": KEY, "Content-Type": "application/json"})
    elapsed = time.perf_counter() - started
    after = httpx.get(f"{base}/bench/memory").json()
    size_mb = len(body) / 2**20
    growth = after["peak_mb"] - before["rss_mb"]
    return {"status": answer.status_code, "journaled": answer.json().get("journaled"), "body_mb": size_mb,
            "events_per_s": count / elapsed, "p50_ms": elapsed * 1e3, "p99_ms": elapsed * 1e3,
            "peak_rss_mb": after["peak_mb"], "growth_mb": growth, "growth_per_body": growth / size_mb}


def measure(requests: int, sizes: list[float]) -> dict:
    """Start the server, load it, measure the large bodies; everything the rows need."""
    from tests.asgi import free_port
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-m", "bench.gateway", "serve", str(port)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, cwd=ROOT, env=env, text=True)
    try:
        if server.stdout.readline().strip() != "ready":
            raise RuntimeError("the gateway did not start")
        bodies = _bodies(requests)
        asyncio.run(_load(port, "GET", "/bench/noop", None, 200))                   # warm up both paths
        asyncio.run(_load(port, "POST", "/v1/inbound/bailleurs", _bodies(200), 200))
        noop = asyncio.run(_load(port, "GET", "/bench/noop", None, requests))
        posts = asyncio.run(_load(port, "POST", "/v1/inbound/bailleurs", bodies, requests))
        import httpx
        posts["peak_rss_mb"] = noop["peak_rss_mb"] = httpx.get(
            f"http://127.0.0.1:{port}/bench/memory").json()["peak_mb"]
        large = {str(size): _large(port, size) for size in sizes}
    finally:
        server.stdin.close()
        server.wait(timeout=60)
    return {"noop": noop, "posts": posts, "large": large}


def run(quick: bool = False) -> list[dict]:
    measured = measure(sized(quick, full=5_000, quick=100, tiny=50), sized(quick, full=[1, 5, 19], quick=[1],
                                                                          tiny=[0.2]))
    noop = row("gateway_noop_get", measured["noop"])
    rows = [noop, row("gateway_cal_decision_post", measured["posts"], baseline=noop, target="accepted POSTs/s")]
    for size, large in measured["large"].items():
        line = row(f"gateway_body_{size}mb", large, target="peak RSS growth <= 10 x body")
        line["note"] = (f"HTTP {large['status']}, {large['journaled']} decisions journaled; RSS growth "
                        f"{large['growth_mb']:.0f} MB = {large['growth_per_body']:.1f} x the {large['body_mb']:.1f} MB body")
        rows.append(line)
    return rows


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "serve":
        serve(int(sys.argv[2]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=3_000)
    parser.add_argument("--sizes", type=float, nargs="+", default=[1, 5, 19])
    args = parser.parse_args()
    print(json.dumps(measure(args.requests, args.sizes), indent=2))


if __name__ == "__main__":
    main()
