"""``relais import`` and ``relais run --once`` report progress: off a terminal, summary lines (here the last one,
the work being short), never a line per record; ``--progress`` forces the bar, ``--no-progress`` silences it."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time

from plugins.sne.synthetic import write_extraction
from tests.factories import decision, decisions_document, write_decisions
from tests.sdk.conftest import plain_env


def test_import_off_a_terminal_ends_with_one_summary_line(relais, tmp_path):
    path = write_extraction(tmp_path / "extraction.xml", 30, seed=5, distinct=30)
    out = relais("import", "-c", "sne", str(path), env={"RELAIS_BATCH_SIZE": "10"})
    assert out.exit_code == 0, out.stderr
    progress = [line for line in out.stderr.splitlines() if line.startswith("importing extraction.xml")]
    assert len(progress) == 1 and progress[0].startswith("importing extraction.xml: 30 records in ")


def test_import_with_progress_draws_the_bar_and_without_says_nothing(relais, tmp_path):
    path = write_extraction(tmp_path / "extraction.xml", 12, seed=5, distinct=12)
    shown = relais("import", "-c", "sne", "--progress", str(path), env={"RELAIS_BATCH_SIZE": "5"})
    assert shown.exit_code == 0, shown.stderr
    assert "12 records" in shown.stderr and "ETA" in shown.stderr
    path2 = write_extraction(tmp_path / "other.xml", 3, seed=6, distinct=3)
    quiet = relais("import", "-c", "sne", "--no-progress", str(path2))
    assert quiet.exit_code == 0 and "importing" not in quiet.stderr


def test_run_once_reports_the_deliveries_it_made(relais, tmp_path):
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps(decisions_document([decision(), decision(), decision()])))
    assert relais("ingest", "-c", "bailleurs", str(cal)).exit_code == 0
    out = relais("run", "--once")
    assert out.exit_code == 0, out.stderr
    progress = [line for line in out.stderr.splitlines() if line.startswith("delivering")]
    assert len(progress) == 1 and progress[0].startswith("delivering: 9 events in ")   # habisoft, the dossier and listes processors
    assert "  out habisoft: 3 delivered, 0 failed" in out.stdout


def test_run_once_with_progress_draws_the_bar(relais, tmp_path):
    cal = tmp_path / "cal.json"
    cal.write_text(json.dumps(decisions_document([decision(), decision()])))
    relais("ingest", "-c", "bailleurs", str(cal))
    out = relais("run", "--once", "--progress")
    assert out.exit_code == 0, out.stderr
    assert "6 events" in out.stderr and "ETA" in out.stderr   # habisoft, the dossier and listes processors


def test_a_running_hub_says_what_it_delivered_per_interval_and_nothing_when_idle(tmp_path):
    home = tmp_path / "home"
    write_decisions(home / "inbox" / "bailleurs", "cal.json", [decision(), decision()])
    env = plain_env(home, RELAIS_PLUGINS="bailleurs,habisoft")
    process = subprocess.Popen([sys.executable, "-m", "hub", "run", "--report-every", "0.3"], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        outbox = home / "outbox" / "habisoft"
        while len(list(outbox.glob("*.xml")) if outbox.exists() else []) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(1.5)   # several idle intervals after the work
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    reports = [re.fullmatch(r"relais: (\d+) event\(s\) delivered in the last 0\.3s \(\d+/s\), \d+ open", line)
               for line in out.splitlines() if "delivered in the last" in line]
    assert reports and all(reports), out
    assert sum(int(m.group(1)) for m in reports) == 2, "every delivery counted once; idle intervals say nothing"
