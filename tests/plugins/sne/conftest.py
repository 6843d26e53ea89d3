"""Fixtures of the SNE connector's tests: a connector on temporary directories."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sne_support import FIXTURES, make_connector

from plugins.sne.connector import SneConnector


@pytest.fixture
def fixtures() -> Path:
    return FIXTURES


@pytest.fixture
def connector(tmp_path: Path) -> Iterator[SneConnector]:
    connector = make_connector(tmp_path)
    try:
        yield connector
    finally:
        connector.close()
