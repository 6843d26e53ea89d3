"""``relais db current`` and ``relais db upgrade``, and what every command does on a journal that is behind (migrated
at start, or refused with ``journal_auto_upgrade = false``) or ahead of this release (refused)."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory

from hub.core import migrations
from tests.core.journal_release_0001 import (
    EVENT_IDS,
    create_release_0001_journal,
    stamp,
)

HEAD = migrations.head()
PRE = "none (created before versioned migrations)"


@pytest.fixture(params=["sqlite", "postgresql"])
def journal(request, tmp_path) -> dict[str, str]:
    """The environment of a ``relais`` whose journal the previous release left, with data in it."""
    url = (f"sqlite:///{tmp_path / 'home' / 'journal.sqlite3'}" if request.param == "sqlite"
           else request.getfixturevalue("pg_schema_url"))
    (tmp_path / "home").mkdir()
    create_release_0001_journal(url)
    return {"RELAIS_JOURNAL_URL": url}


#: every revision, oldest first (read from the chain: ids need not be consecutive once branches are re-chained):
#: a journal of the previous release (made before revisions) needs them all
ALL = [r.revision for r in reversed(list(ScriptDirectory.from_config(migrations.alembic_config()).walk_revisions()))]


def test_current_then_upgrade_a_journal_of_the_previous_release(relais, journal):
    out = relais("db", "current", env=journal)
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines() == [
        f"journal revision: {PRE}", f"this release:     {HEAD}",
        f"status:           behind by {len(ALL)} revision(s) ({', '.join(ALL)}); run `relais db upgrade` (a start "
        "applies them too unless journal_auto_upgrade = false)"]
    out = relais("db", "upgrade", env=journal)
    assert (out.exit_code, out.stdout) == (0, f"journal upgraded from revision {PRE} to {HEAD}\n"), out.stderr
    assert relais("db", "current", env=journal).stdout.splitlines()[-1] == "status:           up to date"
    assert relais("db", "upgrade", env=journal).stdout == f"journal already at revision {HEAD}: nothing to do\n"
    out = relais("event", EVENT_IDS[2], env=journal)          # the data is there
    assert out.exit_code == 0 and "habisoft         dead" in out.stdout


def test_run_migrates_a_journal_behind_and_says_so_in_its_log(relais, journal):
    out = relais("run", "--once", env={**journal, "RELAIS_PLUGINS": "bailleurs,habisoft"})
    assert out.exit_code == 0, out.stderr
    assert '"event": "journal_migrated"' in out.stderr and f'"to_revision": "{HEAD}"' in out.stderr
    assert "habisoft         delivered" in relais("event", EVENT_IDS[1], env=journal).stdout


def test_with_auto_upgrade_off_a_journal_behind_is_refused_until_db_upgrade(relais, journal):
    stamp(journal["RELAIS_JOURNAL_URL"], "0001")
    env = {**journal, "RELAIS_JOURNAL_AUTO_UPGRADE": "false", "RELAIS_PLUGINS": "bailleurs,habisoft"}
    for command in (["run", "--once"], ["dead", "list"]):
        out = relais(*command, env=env)
        assert (out.exit_code, out.error_line) == (
            2, f"Error: the journal is at revision 0001, this release needs {HEAD}; run `relais db upgrade` "
               "(journal_auto_upgrade = false keeps the hub from migrating it at start)"), command
    out = relais("db", "upgrade", env=env)
    assert (out.exit_code, out.stdout) == (0, f"journal upgraded from revision 0001 to {HEAD}\n"), out.stderr
    assert relais("run", "--once", env=env).exit_code == 0


def test_a_journal_ahead_is_refused_by_every_command(relais, journal):
    stamp(journal["RELAIS_JOURNAL_URL"], "0999")
    expected = (f"Error: the journal is at revision 0999, which this release does not know (it needs {HEAD}): a "
                "newer release of relais migrated it; run that release")
    for command in (["run", "--once"], ["dead", "list"], ["db", "upgrade"], ["db", "current"]):
        out = relais(*command, env=journal)
        assert (out.exit_code, out.error_line[:len(expected)]) == (2, expected), command
    assert relais("db", "current", env=journal).stdout.splitlines()[0] == "journal revision: 0999"


def test_current_on_a_journal_not_created_yet(relais):
    out = relais("db", "current")
    assert out.exit_code == 0, out.stderr
    assert out.stdout.splitlines()[0] == "journal revision: none (empty journal)"
    assert out.stdout.splitlines()[-1] == (f"status:           empty; created at {HEAD} when the hub or "
                                           "`relais db upgrade` opens it")
    assert relais("db", "upgrade").stdout == f"journal created at revision {HEAD}\n"
