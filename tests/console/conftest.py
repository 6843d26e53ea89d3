"""Fixtures of the console's tests: the small territory on each backend, and a signed-in client."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from hub.gateway import create_app
from tests.console.territory import PASSWORD, Territory, build


@pytest.fixture
def territory(hub_settings) -> Iterator[Territory]:
    t = build(hub_settings)
    try:
        yield t
    finally:
        t.hub.close()


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]*)"', html)
    assert found, "the page has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, email: str, password: str = PASSWORD, follow: bool = False):
    form = client.get("/console/connexion")
    return client.post("/console/connexion", data={"csrf": csrf_of(form.text), "email": email,
                                                   "motdepasse": password, "suite": "/console/flux"},
                       follow_redirects=follow)


@pytest.fixture
def client(territory) -> Iterator[TestClient]:
    with TestClient(create_app(territory.hub)) as c:
        yield c
