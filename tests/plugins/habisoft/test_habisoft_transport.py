"""Delivery to a Habisoft endpoint over HTTP, against a local stand-in (uvicorn in a thread on 127.0.0.1)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from habisoft_fake import FakeHabisoft, build_app, free_port, serve
from habisoft_golden import load_expected
from habisoft_support import make_habisoft

from hub import RejectError, RetryableError
from plugins.habisoft.transport import HabisoftClient


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[FakeHabisoft, str]]:
    fake = FakeHabisoft()
    with serve(build_app(fake)) as url:
        yield fake, url + "/habisoft/evenements"


@pytest.fixture
def connected(server, tmp_path: Path):
    fake, url = server
    fake.received.clear()
    fake.failures.clear()
    connector = make_habisoft(tmp_path, endpoint=url, timeout_seconds=1, token="s3cret")
    try:
        yield fake, connector
    finally:
        connector.close()


def test_delivery_posts_the_document_with_its_event_id(connected, tmp_path: Path) -> None:
    fake, connector = connected
    event = load_expected("decision_cal_poulidor")
    message = connector.encode(event)
    connector.deliver(event, message)
    assert fake.received == [(event.id, message.body)]
    assert not (tmp_path / "outbox").exists()


@pytest.mark.parametrize("failure, error, message", [
    ("http-500", RetryableError, "HTTP 500"),
    ("http-503", RetryableError, "HTTP 503"),
    ("http-429", RetryableError, "HTTP 429"),
    ("slow", RetryableError, "timeout"),
    ("http-400", RejectError, "HTTP 400"),
    ("http-422-rejet", RejectError, "HTTP 422, HAB-042"),
])
def test_failures(connected, failure: str, error: type, message: str) -> None:
    fake, connector = connected
    fake.fail_next(failure)
    event = load_expected("bail_signe")
    with pytest.raises(error, match=message) as info:
        connector.deliver(event, connector.encode(event))
    if failure == "http-503":
        assert info.value.retry_after == 30.0
    if failure == "http-422-rejet":
        assert info.value.location.field == "evenement/decisionCal/rang"
        assert "Donnée refusée" not in str(info.value), "Habisoft's free text is never copied"


def test_connection_refused_is_retryable() -> None:
    client = HabisoftClient(f"http://127.0.0.1:{free_port()}/x", timeout=1, connect_timeout=1)
    try:
        with pytest.raises(RetryableError, match="connection failed"):
            client.send(b"<x/>", event_id="e", filename="e.xml")
    finally:
        client.close()
