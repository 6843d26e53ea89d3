"""File inboxes: what is acknowledged, and hub processes sharing one inbox."""

from __future__ import annotations

from hub.core.inbox import InboxScanner


class _Ctx:
    def __init__(self, inbox):
        self.inbox = inbox


class _Settings:
    max_message_bytes = 1_000


class _Conn:
    def __init__(self, inbox):
        self.context = _Ctx(inbox)
        self.settings = _Settings()


def test_a_file_taken_by_another_hub_process_is_skipped_not_an_error(tmp_path):
    present = tmp_path / "a.json"
    present.write_text("{}")
    gone = tmp_path / "b.json"          # another process read and moved it between listing and reading
    raws, kept, oversized = InboxScanner._read(_Conn(tmp_path), [present, gone])
    assert kept == [present] and raws[0].body == b"{}" and oversized == []
    present.unlink()                    # ... or between journaling and acknowledging
    InboxScanner._acknowledge(_Conn(tmp_path), [present])
    assert not list((tmp_path / "done").rglob("*.json"))


def test_acknowledged_files_move_to_done_without_overwriting(tmp_path):
    for _ in range(2):
        (tmp_path / "cal.json").write_text("{}")
        InboxScanner._acknowledge(_Conn(tmp_path), [tmp_path / "cal.json"])
    assert len(list((tmp_path / "done").rglob("cal*.json"))) == 2


def test_rejected_files_go_to_rejected_and_good_ones_to_done(relais_hub):
    import json

    from tests.factories import decision, decisions_document
    relais = relais_hub("bailleurs", "habisoft")
    inbox = relais.connector("bailleurs").context.inbox
    relais.drop("bailleurs", "good.json", json.dumps(decisions_document([decision()])))
    relais.drop("bailleurs", "broken.json", "{not json")
    relais.run_once()
    assert [p.name for p in (inbox / "done").rglob("*.json")] == ["good.json"]
    assert [p.name for p in (inbox / "rejected").rglob("*.json")] == ["broken.json"]
    assert not list(inbox.glob("*.json"))


def test_a_file_the_connector_does_not_read_is_logged_once_and_left_in_place(relais_hub):
    from structlog.testing import capture_logs
    relais = relais_hub("bailleurs", "habisoft")
    stray = relais.drop("bailleurs", "notes.txt", "not for the hub")
    with capture_logs() as logs:
        for _ in range(3):
            relais.run_once()
    ignored = [e for e in logs if e["event"] == "inbox_file_ignored"]
    assert len(ignored) == 1
    assert ignored[0]["connector"] == "bailleurs" and ignored[0]["file"] == "notes.txt"
    assert ".json" in ignored[0]["reason"]
    assert stray.exists()
