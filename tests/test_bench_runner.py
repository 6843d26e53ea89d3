"""``python -m bench``: one table and one JSON file of rows with the same columns, every module's rows well formed,
a benchmark module that is not there skipped with a word (another branch may be writing it), one that fails or
returns a malformed row reported by name and reason while the others' rows are still printed and written, a wrong
name refused with the choices. Run at the tiny size (the figures mean nothing and nothing here is timed)."""

from __future__ import annotations

import json
import subprocess
import sys
import types

from bench import __main__ as runner
from bench.common import ROOT, ROW_KEYS, TINY_ENV


def test_every_benchmark_gives_well_formed_rows_and_the_run_is_written(tmp_path):
    """The whole runner as a user starts it, every module at the tiny size: exit 0, each row with every column and a
    baseline that is a row of the same run, each module's wall time, and stdout is the table (no log lines)."""
    out = tmp_path / "run.json"
    answer = subprocess.run([sys.executable, "-m", "bench", "--tiny", "--json", str(out)], check=False,
                            capture_output=True, text=True, cwd=ROOT, timeout=900)
    assert answer.returncode == 0, answer.stderr[-3000:]
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["failed"] == {} and report["skipped"] == {}
    assert list(report["modules"]) == list(runner.MODULES)
    assert all(m["status"] == "ok" and m["rows"] > 0 and m["seconds"] > 0 for m in report["modules"].values())
    assert report["seconds"] >= sum(m["seconds"] for m in report["modules"].values()) - 1
    names = {row["name"] for row in report["rows"]}
    assert len(names) == len(report["rows"])
    for row in report["rows"]:
        assert set(ROW_KEYS) <= set(row), row
        assert row["events_per_s"] > 0, row
        assert row["peak_rss_mb"] is None or row["peak_rss_mb"] > 10, row   # a child's own peak (none for a rate offered)
        assert row["baseline"] is None or (row["baseline"] in names and row["ratio"] > 0), row
    webhooks = [row for row in report["rows"] if row["module"] == "webhooks"]
    assert {row["baseline"] for row in webhooks} == {None, "webhooks_bare_httpx_0ms", "webhooks_bare_httpx_20ms"}
    table_lines = [line for line in answer.stdout.splitlines() if line.startswith("|")]
    assert len(table_lines) == 2 + len(report["rows"]) + 2 + len(runner.MODULES) + 1    # rows, then modules + total
    assert "event_delivered" not in answer.stdout


def _fake(name: str, run) -> types.ModuleType:
    module = types.ModuleType(f"bench.{name}")
    module.run = run
    return module


def test_a_failing_or_malformed_module_is_reported_and_the_others_rows_remain(tmp_path, monkeypatch, capsys):
    def malformed_run(quick: bool) -> list[dict]:   # as bench/webhooks.py once did: no target, a number as baseline
        return [{"name": "hand_made", "events_per_s": 10.0, "p50_ms": None, "p99_ms": None, "peak_rss_mb": 50.0,
                 "baseline": None, "ratio": None},
                {"name": "hand_made_2", "events_per_s": 5.0, "p50_ms": None, "p99_ms": None, "peak_rss_mb": 50.0,
                 "baseline": 10.0, "ratio": 0.5, "target": None}]

    def crashing_run(quick: bool) -> list[dict]:
        raise RuntimeError("the broker went away")

    monkeypatch.setenv(TINY_ENV, "1")
    monkeypatch.setitem(sys.modules, "bench.fake_malformed", _fake("fake_malformed", malformed_run))
    monkeypatch.setitem(sys.modules, "bench.fake_crashing", _fake("fake_crashing", crashing_run))
    monkeypatch.setattr(runner, "MODULES", ("fake_malformed", "journal_append", "not_written_yet", "fake_crashing"))
    out = tmp_path / "results" / "run.json"
    assert runner.main(["--tiny", "--json", str(out)]) == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    assert report["skipped"] == {"not_written_yet": "module not present"}
    assert set(report["failed"]) == {"fake_malformed", "fake_crashing"}
    assert "'target'" in report["failed"]["fake_malformed"] and "hand_made" in report["failed"]["fake_malformed"]
    assert report["failed"]["fake_crashing"] == "RuntimeError: the broker went away"
    assert {name: m["status"] for name, m in report["modules"].items()} == {
        "fake_malformed": "failed", "journal_append": "ok", "not_written_yet": "skipped", "fake_crashing": "failed"}
    names = [row["name"] for row in report["rows"]]
    assert names == ["journal_sqlite_one_txn_per_event", "journal_sqlite_batches_of_500",
                     "journal_postgresql_one_txn_per_event", "journal_postgresql_batches_of_500"]
    by_name = {row["name"]: row for row in report["rows"]}
    grouped = by_name["journal_postgresql_batches_of_500"]
    assert grouped["baseline"] == "journal_postgresql_one_txn_per_event"
    expected = grouped["events_per_s"] / by_name[grouped["baseline"]]["events_per_s"]    # rates rounded to 1/s
    assert abs(grouped["ratio"] - expected) <= 0.01 * expected
    printed = capsys.readouterr().out
    assert "| journal_postgresql_batches_of_500 |" in printed and str(out) in printed
    assert "FAILED fake_malformed: malformed rows: row 0 ('hand_made') lacks the key 'target'" in printed
    assert "FAILED fake_crashing: RuntimeError: the broker went away" in printed


def test_a_run_stopped_by_hand_still_writes_what_was_measured(tmp_path, monkeypatch):
    measured = dict.fromkeys(ROW_KEYS) | {"name": "measured_before", "events_per_s": 100.0}
    ran_after = []

    def stopped(quick: bool) -> list[dict]:
        raise KeyboardInterrupt

    monkeypatch.setitem(sys.modules, "bench.fake_done", _fake("fake_done", lambda quick: [dict(measured)]))
    monkeypatch.setitem(sys.modules, "bench.fake_stopped", _fake("fake_stopped", stopped))
    monkeypatch.setitem(sys.modules, "bench.fake_after", _fake("fake_after", lambda quick: ran_after.append(1) or []))
    monkeypatch.setattr(runner, "MODULES", ("fake_done", "fake_stopped", "fake_after"))
    out = tmp_path / "run.json"
    assert runner.main(["--json", str(out)]) == 1
    report = json.loads(out.read_text(encoding="utf-8"))
    assert [row["name"] for row in report["rows"]] == ["measured_before"] and ran_after == []
    assert report["failed"] == {"fake_stopped": "interrupted (Ctrl-C); the modules after it were not run"}


def test_a_baseline_that_is_not_a_row_of_the_module_is_malformed():
    line = dict.fromkeys(ROW_KEYS) | {"name": "a", "events_per_s": 1.0}
    assert runner.malformed([line, line | {"name": "b", "baseline": "a", "ratio": 1.0}]) is None
    assert runner.malformed([line | {"baseline": 2045.4}]) == (
        "row 0 ('a'): baseline 2045.4 is not the name of an earlier row of this module")
    assert runner.malformed([line | {"events_per_s": "fast"}]) == "row 0 ('a'): events_per_s is 'fast', not a number"
    assert runner.malformed({"rows": []}) == "run() returned dict, not a list of rows"


def test_an_unknown_benchmark_is_refused_with_the_choices(tmp_path):
    answer = subprocess.run([sys.executable, "-m", "bench", "--only", "throughput", "nosuch", "--json",
                             str(tmp_path / "x.json")], check=False, capture_output=True, text=True, cwd=ROOT,
                            timeout=60)
    assert answer.returncode == 2
    assert "unknown benchmark nosuch" in answer.stderr and "bulk_import" in answer.stderr
    assert not (tmp_path / "x.json").exists()
