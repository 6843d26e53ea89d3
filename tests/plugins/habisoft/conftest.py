"""Fixtures of the Habisoft connector's tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from habisoft_support import make_habisoft

from plugins.habisoft.connector import HabisoftConnector


@pytest.fixture
def habisoft(tmp_path: Path) -> Iterator[HabisoftConnector]:
    connector = make_habisoft(tmp_path)
    try:
        yield connector
    finally:
        connector.close()
