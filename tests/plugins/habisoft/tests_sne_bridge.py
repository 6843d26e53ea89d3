"""An SNE connector for the Habisoft tests that compare the two formats (tests may use both plugins)."""

from __future__ import annotations

from pathlib import Path

from contracts import LegalEntity
from hub import ConnectorContext
from plugins.sne.connector import SneConnector
from plugins.sne.settings import SneSettings


def sne_connector(tmp_path: Path) -> SneConnector:
    context = ConnectorContext(name="sne", home=tmp_path, inbox=tmp_path / "in", outbox=tmp_path / "out")
    return SneConnector(SneSettings(entity=LegalEntity(siren="732829320", nom="SNE (test)")), context)
