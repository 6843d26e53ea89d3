"""Benchmark: journal group commit against one transaction per event, on SQLite and PostgreSQL.

Why: docs/architecture.md invariant 7 says durability must come from group commit; this shows what batching buys on
this machine, measured in the same run (the baseline is the same journal with batch size 1).

    .venv/bin/python bench/journal_append.py [--events 5000] [--skip-postgres]

``run(quick)`` gives the rows of ``python -m bench``: per database, one transaction per event (the baseline) and
batches of 500, each in a fresh interpreter.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import create_engine, text

from bench.common import scratch_postgres
from contracts import REGISTRY, DecisionCal, LegalEntity
from hub.core.journal import Journal, Route

ENTITY = LegalEntity(siren="276300019", nom="Bench")


def make_events(n: int):
    out = []
    for i in range(n):
        data = DecisionCal(numero_unique=f"06311250{i:06d}GT63", rpls=f"63{i:08d}", commune="63430",
                           date_commission="2026-11-20", decision="attribution")
        out.append(REGISTRY.build(data, source="bench", entity=ENTITY, sourcemessageid=f"m{i}"))
    return out


def append_all(url: str, events, batch: int) -> float:
    journal = Journal(url, router=lambda e: [Route("habisoft", True)])
    started = time.perf_counter()
    for i in range(0, len(events), batch):
        journal.append(events[i:i + batch])
    elapsed = time.perf_counter() - started
    journal.close()
    return len(events) / elapsed


def measure(database: str, n: int, batch: int) -> dict:
    """One journal on a fresh database (SQLite file or PostgreSQL schema), for :func:`bench.common.isolated`."""
    events = make_events(n)
    if database == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp()}/j-{uuid.uuid4().hex}.sqlite3"
        return {"events_per_s": append_all(url, events, batch)}
    with scratch_postgres() as url:
        return {"events_per_s": append_all(url, events, batch)}


def run(quick: bool = False) -> list[dict]:
    from bench.common import isolated, row, sized
    n = sized(quick, full=5_000, quick=5_000, tiny=100)
    rows = []
    for database in ("sqlite", "postgresql"):
        single = row(f"journal_{database}_one_txn_per_event",
                     isolated("journal_append", "measure", database=database, n=max(200, n // 10), batch=1))
        grouped = row(f"journal_{database}_batches_of_500",
                      isolated("journal_append", "measure", database=database, n=n, batch=500), baseline=single,
                      target="group commit >> 1")
        rows += [single, grouped]
    return rows


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--events", type=int, default=5000)
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    events = make_events(args.events)
    targets = {}
    tmp = tempfile.mkdtemp()
    targets["sqlite"] = lambda: f"sqlite:///{tmp}/j-{uuid.uuid4().hex}.sqlite3"
    if not args.skip_postgres:
        base = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        engine = create_engine(base)

        def pg_url() -> str:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            with engine.begin() as conn:
                conn.execute(text(f"CREATE SCHEMA {schema}"))
            return f"{base}?options=-csearch_path%3D{schema}"
        targets["postgresql"] = pg_url
    print(f"{args.events} events, 1 subscriber")
    for name, url in targets.items():
        single = append_all(url(), events[: max(200, args.events // 10)], 1)
        grouped = append_all(url(), events, 500)
        print(f"{name:<11} one txn per event: {single:8.0f} ev/s   batches of 500: {grouped:8.0f} ev/s   "
              f"ratio {grouped / single:5.1f}x")
    if not args.skip_postgres:
        with engine.begin() as conn:
            for (schema,) in conn.execute(text("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'bench_%'")):
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))


if __name__ == "__main__":
    main()
