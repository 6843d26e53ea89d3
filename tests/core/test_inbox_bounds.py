"""An inbox survives what a clumsy partner drops: a file over the size limit is refused on its ``stat`` — never read
nor stored whole — and kept aside while the files behind it flow; interrupted writes leave nothing behind a restart."""

from __future__ import annotations

import os

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.factories import decision, write_decisions
from tests.sdk.conftest import with_connectors

LIMIT = 20_000


def test_an_oversized_file_is_refused_unread_kept_aside_and_the_next_files_flow(hub_settings, monkeypatch):
    settings = with_connectors(hub_settings, bailleurs={"max_message_bytes": LIMIT})
    inbox = settings.home / "inbox" / "bailleurs"
    big = write_decisions(inbox, "a-big.json", [decision() for _ in range(200)])        # ~35 KB
    write_decisions(inbox, "b-small.json", [decision()])
    assert big.stat().st_size > LIMIT
    read = []
    original = type(big).read_bytes
    monkeypatch.setattr(type(big), "read_bytes", lambda self: read.append(self.name) or original(self))
    with Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        summary = hub.run_once()
        assert summary.ingested["bailleurs"].journaled == 1 and summary.delivered["habisoft"] == 1
        assert "a-big.json" not in read                                   # never read
        [dead] = hub.journal.dead_letters()
        assert dead["origin"] == "a-big.json" and "max_message_bytes" in dead["reason"]
        assert dead["payload"] == b""                                     # not stored whole
        kept = list((inbox / "rejected").rglob("a-big.json"))
        assert len(kept) == 1 and str(kept[0].parent) in dead["reason"]  # kept aside, where the reason says
        assert not list(inbox.glob("*.json"))
        assert hub.run_once().ingested == {}                              # not rescanned


def test_a_scan_never_holds_more_than_about_batch_bytes_of_files(hub_settings):
    inbox = hub_settings.home / "inbox" / "bailleurs"
    for n in range(12):
        write_decisions(inbox, f"f{n:02d}.json", [decision() for _ in range(20)])      # ~3.5 KB each
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        hub.inbox.batch_bytes = 8_000
        batches = []
        ingest = hub.ingestor.ingest
        hub.ingestor.ingest = lambda connector, raws, timeout=None, partner=None: batches.append(len(raws)) or \
            ingest(connector, raws, timeout, partner)
        assert hub.inbox.scan()["bailleurs"].journaled == 240
        assert max(batches) <= 3 and sum(batches) == 12


def test_partial_writes_left_by_a_killed_process_are_removed_at_start(hub_settings):
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        outbox = hub.connectors["habisoft"].context.outbox
    outbox.mkdir(parents=True, exist_ok=True)
    leftover = outbox / ".tmp-abc123.part"
    leftover.write_bytes(b"<half")
    os.utime(leftover, (1, 1))                     # old: its writer is long gone
    (outbox / "delivered.xml").write_bytes(b"<whole/>")
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs", "habisoft"])) as hub:
        hub.start()
    assert not leftover.exists() and (outbox / "delivered.xml").exists()
