"""What every benchmark module shares: running one measurement in a fresh interpreter (so that its peak RSS is its
own), the peak RSS itself, latency percentiles and the row every module returns.

Why a fresh interpreter per measurement: a process's peak RSS only grows, so two measurements in one process, or a
child forked from a large parent, would report each other's memory. ``VmHWM`` of ``/proc/self/status`` is the peak
of the process's own address space since ``exec``, which is what a row reports.

    python -m bench.common MODULE FUNCTION '{"kwarg": 1}'   # what :func:`isolated` runs
"""

from __future__ import annotations

import importlib
import json
import os
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
TINY_ENV = "RELAIS_BENCH_TINY"
#: the machine's PostgreSQL (trust auth, database ``test``): each measurement journals in a schema of its own
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ROW_KEYS = ("name", "events_per_s", "p50_ms", "p99_ms", "peak_rss_mb", "baseline", "ratio", "target")


def peak_rss_mb() -> float:
    """This process's peak resident memory since it started (VmHWM), in MiB."""
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM:"))
    except (OSError, StopIteration):   # not Linux: ru_maxrss is KiB there too (macOS says bytes, good enough)
        import resource
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def isolated(module: str, function: str, **kwargs: Any) -> dict[str, Any]:
    """``bench.<module>.<function>(**kwargs)`` in a fresh interpreter; its result dict, with ``peak_rss_mb``."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    out = subprocess.run([sys.executable, "-m", "bench.common", module, function, json.dumps(kwargs)],
                         check=False, capture_output=True, text=True, cwd=ROOT, env=env)
    if out.returncode != 0:
        raise RuntimeError(f"bench.{module}.{function} failed ({out.returncode}):\n{out.stderr[-4000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


@contextmanager
def scratch_postgres() -> Iterator[str]:
    """A journal URL on a fresh schema of the machine's PostgreSQL, dropped with everything in it on exit: a
    measurement never finds another's rows, and leaves none behind."""
    from sqlalchemy import create_engine, text
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            yield f"{PG_URL}?options=-csearch_path%3D{schema}"
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()


def sized(is_quick: bool, *, full: Any, quick: Any, tiny: Any) -> Any:
    """The size a benchmark runs at: ``tiny`` under ``python -m bench --tiny`` (the smoke test: seconds, figures
    meaningless), else ``quick`` with ``--quick``, else ``full``."""
    if os.environ.get(TINY_ENV):
        return tiny
    return quick if is_quick else full


def percentiles(latencies_s: list[float]) -> tuple[float | None, float | None]:
    """p50 and p99 of latencies in seconds, in milliseconds (None when there are none)."""
    if not latencies_s:
        return None, None
    if len(latencies_s) == 1:
        return latencies_s[0] * 1e3, latencies_s[0] * 1e3
    cuts = statistics.quantiles(latencies_s, n=100, method="inclusive")
    return statistics.median(latencies_s) * 1e3, cuts[98] * 1e3


def row(name: str, measured: dict[str, Any], *, baseline: dict[str, Any] | None = None, target: str | None = None,
        rate_key: str = "events_per_s") -> dict[str, Any]:
    """One line of the table. ``baseline`` is the row it is compared with (``ratio`` = this rate / that rate)."""
    rate = measured.get(rate_key)
    base_rate = baseline.get("events_per_s") if baseline else None
    return {"name": name, "events_per_s": _round(rate), "p50_ms": _round(measured.get("p50_ms"), 2),
            "p99_ms": _round(measured.get("p99_ms"), 2), "peak_rss_mb": _round(measured.get("peak_rss_mb"), 1),
            "baseline": baseline["name"] if baseline else None,
            "ratio": round(rate / base_rate, 3) if rate and base_rate else None, "target": target}


def _round(value: float | None, digits: int = 0) -> float | None:
    return None if value is None else round(float(value), digits)


def _child(argv: list[str]) -> None:
    module, function, kwargs = argv[0], argv[1], json.loads(argv[2])
    result = getattr(importlib.import_module(f"bench.{module}"), function)(**kwargs)
    result["peak_rss_mb"] = max(peak_rss_mb(), result.get("peak_rss_mb") or 0)
    print(json.dumps(result))


if __name__ == "__main__":
    _child(sys.argv[1:])
