"""Fixtures of the SNE connector's tests: a connector on temporary directories, a test PKI, and a local SNE (TLS,
client certificate required) with the settings that reach it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sne_fake import FakeSne, SnePki, build_app, serve_tls
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


@pytest.fixture(scope="session")
def sne_pki(tmp_path_factory) -> SnePki:
    """A test CA, the fake SNE's server certificate, the desk's client certificate, and a stranger's."""
    return SnePki.create(tmp_path_factory.mktemp("sne-pki"))


@pytest.fixture(scope="module")
def fake_server(sne_pki: SnePki) -> Iterator[tuple[FakeSne, str]]:
    """The SNE stand-in over TLS on 127.0.0.1 and the service's URL."""
    fake = FakeSne(client_pem=sne_pki.client_pem)
    with serve_tls(build_app(fake), sne_pki) as url:
        yield fake, url


@pytest.fixture
def sne_section(fake_server, sne_pki: SnePki) -> dict[str, Any]:
    """``[connectors.sne]`` settings reaching the stand-in with the desk's certificate."""
    fake, url = fake_server
    fake.reset()
    return {"endpoint": url, "ca_bundle": str(sne_pki.ca_file), "client_certificate": str(sne_pki.client_cert),
            "client_key": str(sne_pki.client_key), "numero_guichet": "G6304", "timeout_seconds": 2}
