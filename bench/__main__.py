"""``python -m bench``: every benchmark with its baseline, measured in the same run, as one table and one JSON file.

    .venv/bin/python -m bench [--quick] [--json PATH] [--only NAME ...] [--tiny]

Each module of :data:`MODULES` exposes ``run(quick: bool) -> list[dict]``, rows of :data:`bench.common.ROW_KEYS`
(and an optional ``note``); each measurement runs in a fresh interpreter so that its peak RSS is its own. A module
that is not there (one being written on another branch) is skipped with a line saying so; one that fails is
reported and the others still run (exit status 1). ``--quick`` is the size for a change's check (under three
minutes on a 2-core machine); ``--tiny`` only proves the plumbing (the smoke test: seconds, figures meaningless).

Why ratios: these machines are shared and noisy (±25 % and worse), so only a figure against its baseline measured
in the same run compares (docs/performance.md).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

from bench.common import ROOT, ROW_KEYS, TINY_ENV

#: The benchmark modules, in the order they run (``bench/<name>.py``).
MODULES = ("throughput", "latency", "bulk_import", "journal_append", "cotation_recompute", "gateway", "webhooks")
DEFAULT_JSON = ROOT / "bench" / "results" / "latest.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes: under three minutes in all")
    parser.add_argument("--tiny", action="store_true", help="the smallest sizes (smoke test; figures meaningless)")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, metavar="PATH",
                        help=f"where to write the results (default {DEFAULT_JSON.relative_to(ROOT)})")
    parser.add_argument("--only", nargs="+", metavar="NAME", help=f"run only these modules ({', '.join(MODULES)})")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.only or ()) - set(MODULES))
    if unknown:
        parser.error(f"--only: unknown benchmark {', '.join(unknown)}; choose among {', '.join(MODULES)}")
    if args.tiny:
        os.environ[TINY_ENV] = "1"     # read by bench.common.sized, here and in every child interpreter
    started = time.perf_counter()
    rows: list[dict] = []
    skipped: dict[str, str] = {}
    failed: dict[str, str] = {}
    for name in args.only or MODULES:
        module_started = time.perf_counter()
        try:
            module = importlib.import_module(f"bench.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"bench.{name}":
                raise
            skipped[name] = "module not present"
            print(f"# {name}: skipped (bench/{name}.py is not there)", file=sys.stderr)
            continue
        print(f"# {name} ...", file=sys.stderr, flush=True)
        try:
            found = module.run(args.quick)
        except Exception:   # noqa: BLE001 - one failing benchmark must not hide the others' figures
            failed[name] = traceback.format_exc()
            print(f"# {name}: FAILED\n{failed[name]}", file=sys.stderr)
            continue
        for line in found:
            line.setdefault("module", name)
        rows += found
        print(f"# {name}: {len(found)} rows in {time.perf_counter() - module_started:.0f} s", file=sys.stderr)
    report = {"quick": args.quick, "tiny": args.tiny, "finished_at": datetime.now(UTC).isoformat(),
              "seconds": round(time.perf_counter() - started, 1), "cpus": os.cpu_count(),
              "load_average": [round(x, 2) for x in os.getloadavg()], "columns": list(ROW_KEYS), "rows": rows,
              "skipped": skipped, "failed": {name: text.splitlines()[-1] for name, text in failed.items()}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(rows))
    print(f"\n{len(rows)} rows in {report['seconds']:.0f} s (load average {report['load_average'][0]}); "
          f"written to {args.json}")
    return 1 if failed else 0


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table (what bench/README.md quotes), notes below it."""
    head = "| benchmark | events/s | p50 ms | p99 ms | peak RSS MB | baseline | ratio | target |"
    lines = [head, "|" + "---|" * 8]
    for r in rows:
        cells = [r["name"], _fmt(r["events_per_s"]), _fmt(r["p50_ms"], 1), _fmt(r["p99_ms"], 1),
                 _fmt(r["peak_rss_mb"]), r["baseline"] or "", _fmt(r["ratio"], 3), r["target"] or ""]
        lines.append("| " + " | ".join(cells) + " |")
    notes = [f"* {r['name']}: {r['note']}" for r in rows if r.get("note")]
    return "\n".join(lines + ([""] + notes if notes else []))


def _fmt(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


if __name__ == "__main__":
    raise SystemExit(main())
