"""Helpers of the SNE connector's tests (imported by name: ``conftest`` is ambiguous across test directories)."""

from __future__ import annotations

from pathlib import Path

from contracts import LegalEntity
from hub import ConnectorContext
from plugins.sne.connector import SneConnector
from plugins.sne.settings import SneSettings

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sne"
#: The legal entity the tests configure for the SNE itself (a SIREN with a valid check digit, fictitious).
SNE_ENTITY = LegalEntity(siren="732829320", nom="Système national d'enregistrement (test)")


def make_connector(tmp_path: Path, **settings: object) -> SneConnector:
    context = ConnectorContext(name="sne", home=tmp_path, inbox=tmp_path / "inbox", outbox=tmp_path / "outbox")
    return SneConnector(SneSettings(entity=SNE_ENTITY, **settings), context)
