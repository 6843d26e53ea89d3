"""The journal's schema is migrated like a product's: a journal the previous release left, with data in every table,
is upgraded in place on SQLite and PostgreSQL and the hub works on it; the migrated schema is exactly what the code
declares (a schema change without its migration fails here); two processes starting on an old journal migrate it
once; a journal behind is refused when ``journal_auto_upgrade`` is off, a journal ahead always."""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys
import time
import tomllib
from datetime import datetime, timezone
from pathlib import Path

import pytest
import structlog
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Column, Integer, MetaData, inspect
from sqlalchemy.engine import Engine

from hub.core import migrations
from hub.core.errors import JournalRevisionError
from hub.core.journal import Journal
from hub.core.journal_schema import metadata
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.core.stores.engine import make_engine
from hub.settings import HubSettings
from tests.core.journal_release_0001 import (
    DEMAND_A, EVENT_IDS, INBOUND_PAYLOAD, create_release_0001_journal, stamp,
)

HEAD = migrations.head()
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    return request.getfixturevalue("pg_schema_url")


def schema_drift(engine: Engine, declared: MetaData) -> list:
    """What differs between the journal's tables and the declared ones (Alembic's comparison, types included)."""
    with engine.connect() as conn:
        return compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), declared)


def _migrations_logged(logs: list[dict]) -> list[tuple[str, str]]:
    return [(e["from_revision"], e["to_revision"]) for e in logs if e["event"] == "journal_migrated"]


# --- the migrated schema is the declared one ----------------------------------------------------------------------
def test_a_new_journal_is_created_at_head_with_exactly_the_declared_schema(journal_url):
    with structlog.testing.capture_logs() as logs:
        journal = Journal(journal_url)
    try:
        assert _migrations_logged(logs) == [("none (empty journal)", HEAD)]
        assert migrations.journal_revision(journal.engine).current == HEAD
        assert schema_drift(journal.engine, metadata) == []
    finally:
        journal.close()


def test_the_schema_check_finds_a_change_that_has_no_migration(tmp_path):
    """A column added to journal_schema without a revision is what the check above must catch."""
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite3'}")
    try:
        changed = MetaData()
        for table in metadata.sorted_tables:
            table.to_metadata(changed)
        changed.tables["events"].append_column(Column("priority", Integer))
        drift = schema_drift(journal.engine, changed)
        assert [(d[0], d[3].name) for d in drift] == [("add_column", "priority")]
    finally:
        journal.close()


def test_head_is_the_last_revision_shipped():
    """``migrations.HEAD`` (what a start compares with, without loading Alembic) must follow a new revision file."""
    assert ScriptDirectory.from_config(migrations.alembic_config()).get_current_head() == migrations.HEAD


def test_the_revisions_ship_in_a_non_editable_install():
    """The hub reads its revisions from the installed package: each file beside the modules of hub.core.migrations
    (revisions, the revision template) must be package data, or an installed hub has no migration to run."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    shipped = config["tool"]["setuptools"]["package-data"]["hub.core.migrations"]
    package = migrations.SCRIPT_LOCATION
    files = [p.relative_to(package).as_posix() for p in package.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts
             and not (p.parent == package and p.suffix == ".py")]    # the package's own modules ship anyway
    assert "versions/0001_baseline.py" in files
    assert [f for f in files if not any(fnmatch.fnmatch(f, pattern) for pattern in shipped)] == []


# --- a journal of the previous release, with its data ------------------------------------------------------------
@pytest.mark.parametrize("oldest", [False, True], ids=["previous-release", "older-release"])
def test_a_journal_of_the_previous_release_is_upgraded_with_its_data_intact(journal_url, oldest):
    create_release_0001_journal(journal_url, oldest=oldest)
    with structlog.testing.capture_logs() as logs:
        journal = Journal(journal_url)
    try:
        assert _migrations_logged(logs) == [("none (created before versioned migrations)", HEAD)]
        assert schema_drift(journal.engine, metadata) == []
        assert journal.count_events() == 3
        assert [e["id"] for e in journal.history(DEMAND_A)] == list(EVENT_IDS[:2])
        assert journal.history(DEMAND_A)[0]["time"] == datetime(2026, 10, 19, 22, tzinfo=timezone.utc)
        assert journal.delivery_counts() == {("habisoft", "delivered"): 1, ("habisoft", "pending"): 1,
                                             ("habisoft", "dead"): 1, ("sne", "denied"): 1}
        assert journal.outbox_size() == 1 and journal.find_event(EVENT_IDS[2])["published"] is False
        inbound, outbound = journal.dead_letters()
        assert (inbound["payload"], inbound["field"], inbound["occurrences"]) == (
            INBOUND_PAYLOAD, "decisions[0].numero_unique", None)
        assert (outbound["event_seq"], outbound["reason"]) == (3, "HTTP 500 from habisoft")
        [dead] = [d for d in journal.find_event(EVENT_IDS[2])["deliveries"]]
        assert [a["error"] for a in dead["last_error"]] == ["HTTP 500 from habisoft"] * 2
        assert journal.known_fingerprints("sne", [EVENT_IDS[0], "0631126000888G6301"]) == {
            "0631126000888G6301": "sha256:ab12"}
        if not oldest:
            assert journal.polls.states()["sne"].cursor == "2026-11-20"
        # what the new code writes lands in the upgraded tables
        assert journal.add_inbound_dead_letters([{"connector": "bailleurs", "origin": "x", "reason": "r",
                                                  "payload": b"new"}]) == [3]
    finally:
        journal.close()
    journal = Journal(journal_url)     # and the next start finds nothing to do
    journal.close()


def test_the_hub_delivers_what_a_journal_of_the_previous_release_had_pending(journal_url, tmp_path):
    create_release_0001_journal(journal_url)
    settings = HubSettings(home=tmp_path / "home", journal_url=journal_url, seed_examples=False,
                           namespace="migrated", batch_wait=0.02)
    with Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        summary = hub.run_once()
        assert summary.delivered == {"habisoft": 1}
        assert hub.journal.delivery_counts(subscriber="habisoft") == {("habisoft", "delivered"): 2,
                                                                      ("habisoft", "dead"): 1}
        assert hub.journal.outbox_size() == 0
    assert (tmp_path / "home" / "outbox" / "habisoft" / f"{EVENT_IDS[1]}.xml").is_file()


# --- behind, ahead ----------------------------------------------------------------------------------------------
def test_a_journal_behind_is_refused_when_auto_upgrade_is_off_and_left_as_it_was(journal_url):
    create_release_0001_journal(journal_url)
    stamp(journal_url, "0001")
    with pytest.raises(JournalRevisionError) as refused:
        Journal(journal_url, auto_upgrade=False)
    assert str(refused.value).startswith(f"the journal is at revision 0001, this release needs {HEAD}; run "
                                         "`relais db upgrade`")
    engine = make_engine(journal_url)    # nothing was migrated
    try:
        state = migrations.journal_revision(engine)
        assert state.current == "0001" and state.pending[0] == "0002" and state.pending[-1] == HEAD
        assert "depth" not in {c["name"] for c in inspect(engine).get_columns("events")}
    finally:
        engine.dispose()


def test_an_empty_journal_is_created_even_when_auto_upgrade_is_off(tmp_path):
    journal = Journal(f"sqlite:///{tmp_path / 'journal.sqlite3'}", auto_upgrade=False)
    try:
        assert migrations.journal_revision(journal.engine).current == HEAD
    finally:
        journal.close()


def test_a_journal_ahead_of_this_release_is_refused(journal_url):
    create_release_0001_journal(journal_url)
    stamp(journal_url, "0999")
    for auto_upgrade in (True, False):
        with pytest.raises(JournalRevisionError) as refused:
            Journal(journal_url, auto_upgrade=auto_upgrade)
        assert str(refused.value).startswith(f"the journal is at revision 0999, which this release does not know "
                                             f"(it needs {HEAD}): a newer release of relais migrated it")


# --- several processes at once -----------------------------------------------------------------------------------
_START = """
import sys, time
import structlog
from hub.core.journal import Journal
start_at = float(sys.argv[2])
while time.time() < start_at:   # all start together
    time.sleep(0.001)
with structlog.testing.capture_logs() as logs:
    Journal(sys.argv[1]).close()
print(sum(1 for e in logs if e["event"] == "journal_migrated"))
"""


@pytest.mark.slow
@pytest.mark.parametrize("old", [True, False], ids=["old-journal", "empty-journal"])
def test_processes_starting_together_migrate_the_journal_once(journal_url, old):
    """Processes, not threads: one process serialises its own threads; the database's lock (advisory lock 7431 on
    PostgreSQL, the write lock taken at once on SQLite) is what keeps two processes from migrating together."""
    if old:
        create_release_0001_journal(journal_url)
    start_at = str(time.time() + 4)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    starts = [subprocess.Popen([sys.executable, "-c", _START, journal_url, start_at], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True, env=env) for _ in range(4)]
    results = [p.communicate(timeout=120) for p in starts]
    assert [p.returncode for p in starts] == [0] * 4, [err for _out, err in results]
    assert sorted(out.strip() for out, _err in results) == ["0", "0", "0", "1"]
    journal = Journal(journal_url)
    try:
        assert journal.count_events() == (3 if old else 0) and schema_drift(journal.engine, metadata) == []
    finally:
        journal.close()
