"""File inboxes: what is acknowledged, and hub processes sharing one inbox."""

from __future__ import annotations

from hub.core.inbox import InboxScanner


class _Ctx:
    def __init__(self, inbox):
        self.inbox = inbox


class _Conn:
    def __init__(self, inbox):
        self.context = _Ctx(inbox)


def test_a_file_taken_by_another_hub_process_is_skipped_not_an_error(tmp_path):
    present = tmp_path / "a.json"
    present.write_text("{}")
    gone = tmp_path / "b.json"          # another process read and moved it between listing and reading
    raws, kept = InboxScanner._read([present, gone])
    assert kept == [present] and raws[0].body == b"{}"
    present.unlink()                    # ... or between journaling and acknowledging
    InboxScanner._acknowledge(_Conn(tmp_path), [present])
    assert not list((tmp_path / "done").rglob("*.json"))


def test_acknowledged_files_move_to_done_without_overwriting(tmp_path):
    for _ in range(2):
        (tmp_path / "cal.json").write_text("{}")
        InboxScanner._acknowledge(_Conn(tmp_path), [tmp_path / "cal.json"])
    assert len(list((tmp_path / "done").rglob("cal*.json"))) == 2
