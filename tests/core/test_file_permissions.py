"""Nothing the hub creates is readable by other accounts: the journal (and its WAL files), the home, inboxes and
outboxes, the lock, and a dead letter's payload exported by the operator hold households' data."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

from hub.core.journal import Journal
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.settings import HubSettings
from tests.conftest import env_for
from tests.factories import decision, write_decisions


def _others_can_access(path: Path) -> bool:
    return bool(stat.S_IMODE(path.stat().st_mode) & 0o077)


def test_an_embedded_hub_creates_everything_owner_only(tmp_path) -> None:
    hub_settings = HubSettings(home=tmp_path / "home", seed_examples=False, namespace="perms")
    old_umask = os.umask(0o022)   # the usual default: files 0644, directories 0755 unless created otherwise
    try:
        write_decisions(tmp_path / "drop", "cal.json", [decision(), decision(decision="attribution_rang")])
        with Hub(hub_settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
            hub.start()
            inbox = hub.connectors["bailleurs"].context.inbox
            os.replace(tmp_path / "drop" / "cal.json", inbox / "cal.json")
            summary = hub.run_once()
            assert summary.delivered["habisoft"] == 1 and summary.ingested["bailleurs"].rejected == 1
            journal = hub.settings.home / "journal.sqlite3"
            created = [hub.settings.home, journal, hub.settings.home / "relais.lock",
                       hub.settings.home / "inbox", hub.settings.home / "outbox", inbox,
                       hub.connectors["habisoft"].context.outbox,
                       *hub.connectors["habisoft"].context.outbox.iterdir(), *(inbox / "done").rglob("*")]
            created += [p for p in (journal.with_name("journal.sqlite3-wal"), journal.with_name("journal.sqlite3-shm"))
                        if p.exists()]
            [dead] = hub.journal.dead_letters()
            loose = [str(p) for p in created if p.is_dir() and _others_can_access(p)]
            loose += [str(p) for p in created if p.is_file() and p.name != "cal.json" and _others_can_access(p)]
            assert loose == []
        out = tmp_path / "payload.json"
        shown = subprocess.run([sys.executable, "-m", "hub", "dead", "show", str(dead["id"]), "--payload", str(out)],
                               capture_output=True, text=True, env=env_for(hub_settings), timeout=60)
        assert shown.returncode == 0, shown.stderr
        assert out.read_bytes() == dead["payload"] and not _others_can_access(out)
    finally:
        os.umask(old_umask)


def test_a_journal_created_world_readable_by_an_older_release_is_tightened(tmp_path) -> None:
    path = tmp_path / "journal.sqlite3"
    Journal(f"sqlite:///{path}").close()
    os.chmod(path, 0o644)
    Journal(f"sqlite:///{path}").close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
