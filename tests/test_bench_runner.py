"""``python -m bench``: one table and one JSON file of rows with the same columns, a benchmark module that is not
there skipped with a word (another branch may be writing it), a wrong name refused with the choices. Run at the
tiny size (seconds; the figures mean nothing and nothing here is timed)."""

from __future__ import annotations

import json
import subprocess
import sys

from bench import __main__ as runner
from bench.common import ROOT, ROW_KEYS, TINY_ENV


def test_the_runner_writes_every_row_with_its_baseline_and_skips_a_missing_module(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(TINY_ENV, "1")
    monkeypatch.setattr(runner, "MODULES", ("journal_append", "not_written_yet"))
    out = tmp_path / "results" / "run.json"
    assert runner.main(["--tiny", "--json", str(out)]) == 0
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["skipped"] == {"not_written_yet": "module not present"} and report["failed"] == {}
    assert report["columns"] == list(ROW_KEYS)
    names = [row["name"] for row in report["rows"]]
    assert names == ["journal_sqlite_one_txn_per_event", "journal_sqlite_batches_of_500",
                     "journal_postgresql_one_txn_per_event", "journal_postgresql_batches_of_500"]
    for row in report["rows"]:
        assert set(ROW_KEYS) <= set(row)
        assert row["events_per_s"] > 0 and row["peak_rss_mb"] > 10     # measured in a child, not left empty
    by_name = {row["name"]: row for row in report["rows"]}
    grouped = by_name["journal_postgresql_batches_of_500"]
    assert grouped["baseline"] == "journal_postgresql_one_txn_per_event"
    expected = grouped["events_per_s"] / by_name[grouped["baseline"]]["events_per_s"]    # rates rounded to 1/s
    assert abs(grouped["ratio"] - expected) <= 0.01 * expected
    printed = capsys.readouterr().out
    assert "| journal_postgresql_batches_of_500 |" in printed and str(out) in printed


def test_an_unknown_benchmark_is_refused_with_the_choices(tmp_path):
    answer = subprocess.run([sys.executable, "-m", "bench", "--only", "throughput", "nosuch", "--json",
                             str(tmp_path / "x.json")], check=False, capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert answer.returncode == 2
    assert "unknown benchmark nosuch" in answer.stderr and "bulk_import" in answer.stderr
    assert not (tmp_path / "x.json").exists()
