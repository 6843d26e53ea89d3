"""Helpers of the Habisoft connector's tests (imported by name: ``conftest`` is ambiguous across directories)."""

from __future__ import annotations

from pathlib import Path

from hub import ConnectorContext
from plugins.habisoft.connector import HabisoftConnector
from plugins.habisoft.settings import HabisoftSettings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "habisoft"


def make_habisoft(tmp_path: Path, **settings: object) -> HabisoftConnector:
    context = ConnectorContext(name="habisoft", home=tmp_path, inbox=tmp_path / "inbox", outbox=tmp_path / "outbox")
    return HabisoftConnector(HabisoftSettings(**settings), context)
