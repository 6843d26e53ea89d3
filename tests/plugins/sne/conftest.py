"""Fixtures of the SNE connector's tests: a connector on temporary directories, a local SNE SOAP endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sne_fake import FakeSne, build_app, serve
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


@pytest.fixture(scope="module")
def fake_server() -> Iterator[tuple[FakeSne, str]]:
    """The SNE stand-in (FastAPI under uvicorn, 127.0.0.1, a free port) and its SOAP endpoint's URL."""
    fake = FakeSne()
    with serve(build_app(fake)) as url:
        yield fake, url + "/ws/nuu"
