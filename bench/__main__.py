"""``python -m bench``: every benchmark with its baseline, measured in the same run, as one table and one JSON file.

    .venv/bin/python -m bench [--quick] [--json PATH] [--only NAME ...] [--tiny]

Each module of :data:`MODULES` exposes ``run(quick: bool) -> list[dict]``, rows of :data:`bench.common.ROW_KEYS`
(and an optional ``note``); each measurement runs in a fresh interpreter so that its peak RSS is its own. A module
that is not there (one being written on another branch) is skipped with a line saying so; one that fails (it
raises, or returns a row without every key of ``ROW_KEYS`` or with a ``baseline`` that is not one of its rows) is
reported with the reason and the others still run, their table printed and written (exit status 1). Each module's
wall time and the total are printed below the table and written in the JSON (``modules``, ``seconds``). ``--quick`` is the size for a change's check (under three
minutes on a 2-core machine); ``--tiny`` only proves the plumbing (the smoke test: seconds, figures meaningless).

Why ratios: these machines are shared and noisy (±25 % and worse), so only a figure against its baseline measured
in the same run compares (docs/performance.md).
"""

from __future__ import annotations

import argparse
import contextlib
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
    modules: dict[str, dict] = {}
    for name in args.only or MODULES:
        module_started = time.perf_counter()
        try:
            found, status, error = _run_module(name, args.quick)
        except KeyboardInterrupt:   # a long full run stopped by hand: what was measured is still written
            modules[name] = {"status": "failed", "seconds": round(time.perf_counter() - module_started, 1),
                             "rows": 0, "error": "interrupted (Ctrl-C); the modules after it were not run"}
            print(f"# {name}: interrupted", file=sys.stderr, flush=True)
            break
        seconds = round(time.perf_counter() - module_started, 1)
        modules[name] = {"status": status, "seconds": seconds, "rows": len(found), "error": error}
        rows += found
        if status == "ok":
            print(f"# {name}: {len(found)} rows in {seconds:.0f} s", file=sys.stderr, flush=True)
    failed = {name: m["error"] for name, m in modules.items() if m["status"] == "failed"}
    report = {"quick": args.quick, "tiny": args.tiny, "finished_at": datetime.now(UTC).isoformat(),
              "seconds": round(time.perf_counter() - started, 1), "cpus": os.cpu_count(),
              "load_average": [round(x, 2) for x in os.getloadavg()], "columns": list(ROW_KEYS), "rows": rows,
              "modules": modules, "failed": failed,
              "skipped": {name: "module not present" for name, m in modules.items() if m["status"] == "skipped"}}
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(rows))
    print("\n" + module_table(modules, report["seconds"]))
    print(f"\n{len(rows)} rows in {report['seconds']:.0f} s (load average {report['load_average'][0]})"
          + "".join(f"\nFAILED {name}: {error}" for name, error in failed.items())
          + f"\nwritten to {args.json}")
    return 1 if failed else 0


def _run_module(name: str, quick: bool) -> tuple[list[dict], str, str | None]:
    """One module's rows, its status (``ok``, ``skipped``, ``failed``) and, if it failed, why in one line. Whatever
    goes wrong in a module (its import, its run, a malformed row) is that module's failure, its traceback on
    stderr: the others' rows are still printed and written. What a module prints goes to stderr too, so that
    stdout is the table."""
    try:
        module = importlib.import_module(f"bench.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"bench.{name}":
            print(f"# {name}: skipped (bench/{name}.py is not there)", file=sys.stderr)
            return [], "skipped", None
        return _failed(name, traceback.format_exc())
    except Exception:   # noqa: BLE001 - a module that does not import is its failure, not the runner's
        return _failed(name, traceback.format_exc())
    print(f"# {name} ...", file=sys.stderr, flush=True)
    try:
        with contextlib.redirect_stdout(sys.stderr):
            found = module.run(quick)
    except (Exception, SystemExit):   # noqa: BLE001 - one failing benchmark must not hide the others' figures
        return _failed(name, traceback.format_exc())
    problem = malformed(found)
    if problem:
        return _failed(name, f"malformed rows: {problem}")
    for line in found:
        line.setdefault("module", name)
    return found, "ok", None


def _failed(name: str, text: str) -> tuple[list[dict], str, str]:
    print(f"# {name}: FAILED\n{text}", file=sys.stderr, flush=True)
    return [], "failed", text.strip().splitlines()[-1]


def malformed(rows: object) -> str | None:
    """Why a module's rows cannot go into the table (None if they can): a list of dicts with every key of
    :data:`ROW_KEYS`, a rate that is a number, and a ``baseline`` that names an earlier row of the same module (the
    ratio is only meaningful against a rate measured in the same run)."""
    if not isinstance(rows, list):
        return f"run() returned {type(rows).__name__}, not a list of rows"
    names: set[str] = set()
    for index, line in enumerate(rows):
        label = f"row {index}" + (f" ({line.get('name')!r})" if isinstance(line, dict) else "")
        if not isinstance(line, dict):
            return f"{label} is a {type(line).__name__}, not a dict"
        missing = [key for key in ROW_KEYS if key not in line]
        if missing:
            return f"{label} lacks the key{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))}"
        for key in ("events_per_s", "p50_ms", "p99_ms", "peak_rss_mb", "ratio"):
            if line[key] is not None and not isinstance(line[key], int | float):
                return f"{label}: {key} is {line[key]!r}, not a number"
        if line["baseline"] is not None and line["baseline"] not in names:
            return f"{label}: baseline {line['baseline']!r} is not the name of an earlier row of this module"
        names.add(line["name"])
    return None


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


def module_table(modules: dict[str, dict], total_seconds: float) -> str:
    """Each module's wall time (its fresh interpreters' start-up included: what ``--quick`` costs, and where)."""
    lines = ["| module | wall s | rows | status |", "|---|---|---|---|"]
    lines += [f"| {name} | {m['seconds']:.1f} | {m['rows']} | {m['status']} |" for name, m in modules.items()]
    return "\n".join(lines + [f"| total | {total_seconds:.1f} | {sum(m['rows'] for m in modules.values())} | |"])


def _fmt(value: float | None, digits: int = 0) -> str:
    return "" if value is None else f"{value:,.{digits}f}"


if __name__ == "__main__":
    raise SystemExit(main())
