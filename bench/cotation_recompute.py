"""Benchmark: a full recomputation of every open demand's score (``relais cotation recompute``) — wall time and peak
RSS — against the pure engine scoring the same facts, measured in the same run.

What is measured (each phase in a fresh child process, so that each peak RSS is that phase's alone):
* ``recompute``: ``plugins.cotation.commands.recompute_all`` on an embedded hub (SQLite journal) holding N open
  demands — what the command runs: one timer per demand in rounds of 1,000, fired through ``Hub.tick``, each demand
  scored in the processor's transaction, its ``cotation_calculee`` journaled. Every score changes (the scores table
  starts empty), the worst case: N events journaled.
* ``engine``: ``score(facts, grid, day)`` + ``to_event`` over the same N facts read from the projection — the
  computation alone, without timers, transactions or journaling (the baseline).

Setup (not measured): N invented households (``plugins/sne/synthetic.py``; 1,000 distinct ones, reused with their
own numbers and filing dates) written straight into the processor's facts table, as journaled registrations would
have left it. Only the cotation processor is loaded: in a deployment the listes and dossier processors (and the
partners) then receive the N events too, which ``relais run`` handles after.

    .venv/bin/python bench/cotation_recompute.py                  # 100,000 demands
    .venv/bin/python bench/cotation_recompute.py --demands 10000 --json
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DAY = date(2026, 12, 1)
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
ENTITY = {"siren": "200071363", "nom": "CC Thiers Dore et Montagne"}


def _hub(home: Path):
    import logging

    import structlog
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    from hub.core.plugins import PluginHost
    from hub.core.runtime import Hub
    from hub.settings import HubSettings
    return Hub(HubSettings(home=home, seed_examples=False), PluginHost.load(allow=["cotation"]), clock=lambda: NOW)


def setup(home: Path, demands: int) -> None:
    from plugins.cotation import faits_depuis_demande, tables
    from plugins.sne.synthetic import SyntheticSne
    sne = SyntheticSne(2026, today=DAY)
    rng = random.Random(2026)
    templates = [sne.demande(date(2022, 1, 1)) for _ in range(1000)]
    with _hub(home) as hub:
        hub.start()
        rows = []
        for index in range(demands):
            registered = DAY - timedelta(days=rng.randint(0, 5 * 365))
            demande = templates[index % len(templates)].model_copy(update={
                "date_depot": registered, "date_enregistrement": registered, "date_dernier_renouvellement": None})
            facts = faits_depuis_demande(demande)
            rows.append({"numero_unique": f"0631226{index:06d}G6301", "statut": "active", "faits": facts.model_dump_json(),
                         "refus": rng.choice([0, 0, 0, 1, 2]), "visites_sans_suite": 0, "non_reponses": 0,
                         "labels": "[]", "dalo": "{}", "entite": json.dumps(ENTITY), "timer": None,
                         "demande_recue": True})
            if len(rows) == 5000:
                with hub.journal.engine.begin() as conn:
                    conn.execute(tables.faits.insert(), rows)
                rows = []
        if rows:
            with hub.journal.engine.begin() as conn:
                conn.execute(tables.faits.insert(), rows)


def recompute(home: Path) -> dict:
    from plugins.cotation.commands import recompute_all
    with _hub(home) as hub:
        started = time.perf_counter()
        total, changed = recompute_all(hub, NOW)
        elapsed = time.perf_counter() - started
    return {"demands": total, "changed": changed, "seconds": elapsed}


def engine(home: Path) -> dict:
    from sqlalchemy import create_engine, select

    from plugins.cotation import FaitsCotation, default_grid, score, tables
    grid = default_grid()
    db = create_engine(f"sqlite:///{home / 'journal.sqlite3'}")
    with db.connect() as conn:
        rows = conn.execute(select(tables.faits.c.numero_unique, tables.faits.c.faits, tables.faits.c.refus)).all()
    started = time.perf_counter()
    for numero, faits, refus in rows:
        facts = FaitsCotation.model_validate_json(faits).model_copy(update={"refus": refus})
        score(facts, grid, DAY).to_event(numero)
    elapsed = time.perf_counter() - started
    return {"demands": len(rows), "seconds": elapsed}


def _child(phase: str, home: Path, demands: int) -> dict:
    out = subprocess.run([sys.executable, __file__, "--phase", phase, "--home", str(home), "--demands", str(demands)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def run(quick: bool = False) -> list[dict]:
    """Rows for ``python -m bench``: the pure engine (baseline) and the recompute, over the same open demands."""
    from bench.common import row, sized
    demands = sized(quick, full=10_000, quick=4_000, tiny=30)
    home = Path(tempfile.mkdtemp()) / "home"
    _child("setup", home, demands)
    engine_run = _child("engine", home, demands)
    recompute_run = _child("recompute", home, demands)
    base = row("cotation_engine", {"events_per_s": engine_run["demands"] / engine_run["seconds"],
                                   "peak_rss_mb": engine_run["peak_rss_mib"]})
    line = row("cotation_recompute", {"events_per_s": recompute_run["demands"] / recompute_run["seconds"],
                                      "peak_rss_mb": recompute_run["peak_rss_mib"]}, baseline=base)
    line["note"] = f"{demands:,} open demands, {recompute_run['changed']:,} scores emitted"
    return [base, line]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--demands", type=int, default=100_000)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--phase", choices=["setup", "recompute", "engine"], help=argparse.SUPPRESS)
    ap.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        result = {"setup": lambda: setup(args.home, args.demands) or {}, "recompute": lambda: recompute(args.home),
                  "engine": lambda: engine(args.home)}[args.phase]()
        result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps(result))
        return
    home = Path(tempfile.mkdtemp()) / "home"
    started = time.perf_counter()
    _child("setup", home, args.demands)
    setup_seconds = time.perf_counter() - started
    baseline = _child("engine", home, args.demands)
    measured = _child("recompute", home, args.demands)
    report = {"demands": args.demands, "setup_seconds": round(setup_seconds, 1),
              "recompute": measured, "engine": baseline,
              "ratio_time": round(measured["seconds"] / baseline["seconds"], 1)}
    if args.json:
        print(json.dumps(report, indent=2))
        return
    print(f"{args.demands:,} open demands (setup {setup_seconds:.0f} s)")
    print(f"  relais cotation recompute: {measured['seconds']:.1f} s "
          f"({measured['demands'] / measured['seconds']:.0f} demands/s), {measured['changed']:,} scores emitted, "
          f"peak RSS {measured['peak_rss_mib']:.0f} MiB")
    print(f"  pure engine, same facts:   {baseline['seconds']:.1f} s "
          f"({baseline['demands'] / baseline['seconds']:.0f} demands/s), peak RSS {baseline['peak_rss_mib']:.0f} MiB")
    print(f"  recompute / engine time: ×{report['ratio_time']}")


if __name__ == "__main__":
    main()
