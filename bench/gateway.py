"""The HTTP gateway: accepted CAL-decision POSTs per second and their p50/p99, against a trivial endpoint of the
same server in the same run, and the server's memory for one large body of 1, 5 and 19 MB.

The server is a real uvicorn (``hub.gateway.GatewayServer``) in a subprocess (``python -m bench.gateway serve``):
an embedded hub (SQLite journal) with the bailleurs connector, its per-partner rate limit off and 64 requests in
flight allowed, plus two bench-only routes: ``POST /bench/noop`` (the baseline: the same bodies received through
routing, the event loop and h11, then a 202 and no work) and ``GET /bench/memory`` (the server's current and peak
RSS; ``?reset=1`` resets the peak to now through ``/proc/self/clear_refs``). The load is httpx async with 32
concurrent requests, each POST one decision, every one unique, the warm-up's too (so each is journaled, not
recognised as a resend: the POST row's note counts both, and the answers that were not 2xx, which the rate leaves
out). The load generator runs in a fresh interpreter of its own (``bench.common.isolated``), not in the runner.

Memory: during the decision POSTs, the growth of the server's peak RSS (what 32 requests in flight cost); for each
large body of S MiB (after one unmeasured body of the smallest size: what the first costs once is not a body's
cost), the peak is reset, one POST is sent, and the growth of the server's peak RSS over its RSS
before is reported, as MB and as a multiple of S (issue 18: a small multiple; ``BODY_MULTIPLE`` here), with the
path the body took (over ``hub.gateway.app.LARGE_MESSAGE`` it is journaled a chunk at a time).

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
from collections import Counter
from pathlib import Path
from typing import Any

from bench.common import ROOT, isolated, percentiles, row, sized

KEY = "k-bench-gateway"
CONCURRENCY = 32
NOOP, INBOUND = "/bench/noop", "/v1/inbound/bailleurs"
#: Issue 18: "a body of size S never costs more than a small multiple of S"; this bench calls 10 small.
BODY_MULTIPLE = 10


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

        async def noop(request):  # a plain Starlette route: FastAPI would not resolve an annotation local to serve()
            await request.body()     # the same bytes received as a decision POST, then nothing
            return JSONResponse({"ok": True}, status_code=202)
        server.app.add_route(NOOP, noop, methods=["POST"])

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
def _bodies(tag: str, count: int, per_body: int = 1) -> list[bytes]:
    """``count`` documents of ``per_body`` decisions each; ids made unique by ``tag`` (a warm-up's decisions sent
    again in the measured load would be recognised as resends: a cheaper path than the one measured)."""
    from tests.factories import decision, decisions_document
    model = decision()
    return [json.dumps(decisions_document([dict(model, id=f"GW-{tag}-{i}-{j}",
                                                numero_unique=f"0631{i * per_body + j:09d}G6301")
                                           for j in range(per_body)])).encode() for i in range(count)]


async def _load(port: int, path: str, bodies: list[bytes]) -> dict[str, Any]:
    """POST each body, ``CONCURRENCY`` at a time on as many keep-alive connections; the rate counts the accepted
    (2xx) answers only, the others are counted by status."""
    import httpx
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    journaled = duplicates = 0
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    headers = {"X-Relais-Api-Key": KEY, "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=CONCURRENCY)
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits, timeout=60) as client:
        async def worker() -> None:
            nonlocal journaled, duplicates
            while not queue.empty():
                body = queue.get_nowait()
                started = time.perf_counter()
                answer = await client.post(path, content=body, headers=headers)
                latencies.append(time.perf_counter() - started)
                statuses[answer.status_code] += 1
                if answer.status_code < 300 and path != NOOP:
                    journaled += answer.json()["journaled"]
                    duplicates += answer.json()["duplicates"]
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        elapsed = time.perf_counter() - started
    p50, p99 = percentiles(latencies)
    accepted = sum(n for status, n in statuses.items() if status < 300)
    return {"events_per_s": accepted / elapsed, "p50_ms": p50, "p99_ms": p99, "sent": len(bodies),
            "accepted": accepted, "statuses": dict(statuses), "journaled": journaled, "duplicates": duplicates}


def _memory(port: int, reset: bool = False) -> dict[str, float]:
    import httpx
    return httpx.get(f"http://127.0.0.1:{port}/bench/memory", params={"reset": int(reset)}).json()


def _large(port: int, megabytes: float, tag: str) -> dict[str, Any]:
    """One POST of about ``megabytes`` MiB of decisions; the growth of the server's peak RSS over its RSS before."""
    import httpx

    from hub.gateway.app import LARGE_MESSAGE
    one = len(_bodies("probe", 1, 100)[0]) / 100
    count = int(megabytes * 2**20 / one)
    body = _bodies(tag, 1, count)[0]
    before = _memory(port, reset=True)
    started = time.perf_counter()
    answer = httpx.post(f"http://127.0.0.1:{port}/v1/inbound/bailleurs", content=body, timeout=600,
                        headers={"X-Relais-Api-Key": KEY, "Content-Type": "application/json"})
    elapsed = time.perf_counter() - started
    after = _memory(port)
    size_mb = len(body) / 2**20
    growth = after["peak_mb"] - before["rss_mb"]
    return {"status": answer.status_code, "journaled": answer.json().get("journaled"), "decisions": count,
            "body_mb": size_mb, "streamed": len(body) > LARGE_MESSAGE,
            "streamed_over_mb": LARGE_MESSAGE / 2**20, "events_per_s": count / elapsed,
            "p50_ms": elapsed * 1e3, "p99_ms": elapsed * 1e3, "peak_rss_mb": after["peak_mb"], "growth_mb": growth,
            "growth_per_body": growth / size_mb}


def measure(requests: int, sizes: list[float]) -> dict[str, Any]:
    """Start the server, load it, measure the large bodies (for :func:`bench.common.isolated`)."""
    from tests.asgi import free_port
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryFile("w+") as errors:
        server = subprocess.Popen([sys.executable, "-m", "bench.gateway", "serve", str(port)], stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=errors, cwd=ROOT, env=env, text=True)
        try:
            if server.stdout.readline().strip() != "ready":
                errors.seek(0)
                raise RuntimeError(f"the gateway did not start:\n{errors.read()[-3000:]}")
            bodies = _bodies("post", requests)
            warm_up = min(200, requests)
            asyncio.run(_load(port, NOOP, bodies[:warm_up]))                 # warm up both paths
            asyncio.run(_load(port, INBOUND, _bodies("warm", warm_up)))
            noop = asyncio.run(_load(port, NOOP, bodies))
            before = _memory(port, reset=True)
            posts = asyncio.run(_load(port, INBOUND, bodies))
            after = _memory(port)
            posts.update(peak_rss_mb=after["peak_mb"], growth_mb=after["peak_mb"] - before["rss_mb"])
            noop["peak_rss_mb"] = before["peak_mb"]
            if sizes:   # what the first large body costs once (imports, pools the allocator keeps) is not per body
                _large(port, min(sizes), "large-warm-up")
            large = {f"{size:g}": _large(port, size, f"large{size:g}") for size in sizes}
        finally:
            server.stdin.close()
            server.wait(timeout=60)
    return {"noop": noop, "posts": posts, "large": large}


def run(quick: bool = False) -> list[dict]:
    """The rows of ``python -m bench``: the no-op POST (baseline), the decision POSTs against it, one row per large
    body (no baseline: its figure is the memory, in the note)."""
    measured = isolated("gateway", "measure", requests=sized(quick, full=5_000, quick=1_000, tiny=50),
                        sizes=sized(quick, full=[1, 5, 19], quick=[1, 5], tiny=[0.2]))
    noop, posts = measured["noop"], measured["posts"]
    base = row("gateway_noop_post", noop)
    line = row("gateway_cal_decision_post", posts, baseline=base, target="accepted POSTs/s and p99 vs no-op")
    refused = {status: n for status, n in posts["statuses"].items() if int(status) >= 300}
    line["note"] = (f"{posts['accepted']} of {posts['sent']} POSTs accepted"
                    + (f" (refused: {', '.join(f'{n} x HTTP {s}' for s, n in refused.items())})" if refused else "")
                    + f", {posts['journaled']} decisions journaled, {posts['duplicates']} recognised as resends; "
                    f"p99 x{posts['p99_ms'] / noop['p99_ms']:.2f} the no-op's; server peak RSS growth during the "
                    f"load {posts['growth_mb']:.1f} MB for {CONCURRENCY} requests in flight")
    rows = [base, line]
    for size, large in measured["large"].items():
        body = row(f"gateway_body_{size}mb", large, target=f"peak RSS growth <= {BODY_MULTIPLE} x body")
        verdict = "within" if large["growth_per_body"] <= BODY_MULTIPLE else "OVER"
        body["note"] = (f"HTTP {large['status']}, {large['journaled']} of {large['decisions']} decisions journaled "
                        f"({'journaled a chunk at a time: over' if large['streamed'] else 'decoded whole: not over'} "
                        f"{large['streamed_over_mb']:g} MiB); peak RSS growth {large['growth_mb']:.0f} MB = "
                        f"{large['growth_per_body']:.1f} x the {large['body_mb']:.2f} MiB body ({verdict} target)")
        rows.append(body)
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
