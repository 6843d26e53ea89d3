"""The webhook signature (what a receiver checks) and the webhook target's mapping of HTTP outcomes onto the hub's
error tree."""

from __future__ import annotations

import httpx
import pytest

from contracts import REGISTRY
from hub.core.channels import Channel
from hub.core.connector import Connector, OutboundMessage
from hub.core.errors import RejectError, RetryableError
from hub.core.signatures import SignatureMismatch, sign, signature_header, verify
from hub.core.webhook import WebhookTarget
from hub.testing.samples import make_event
from tests.contracts.contracts_factories import exemple

SECRET = "whsec_unit-test-secret-0123456789"
BODY = b'{"id": "e1", "type": "decision_cal.v1"}'
T = 1_780_000_000


def test_a_signed_body_verifies_and_returns_its_time():
    assert verify(SECRET, signature_header(SECRET, BODY, T), BODY, now=T + 299) == T
    assert verify(SECRET, signature_header(SECRET, BODY, T), BODY, now=T - 300) == T   # a clock a little behind


def test_several_signatures_during_a_rotation_one_is_enough():
    header = f"t={T},v1={sign('whsec_old-secret-000000000', T, BODY)},v1={sign(SECRET, T, BODY)}"
    assert verify(SECRET, header, BODY, now=T) == T


@pytest.mark.parametrize(("header", "body", "now", "why"), [
    (None, BODY, T, "missing"),
    ("", BODY, T, "missing"),
    ("garbage", BODY, T, "is not key=value"),
    (f"v1={sign(SECRET, T, BODY)}", BODY, T, "needs t=<unix> and at least one v1"),
    (f"t={T}", BODY, T, "needs t=<unix> and at least one v1"),
    (f"t=yesterday,v1={sign(SECRET, T, BODY)}", BODY, T, "is not a unix time"),
    (f"t={'9' * 30},v1=00", BODY, T, "is not a unix time"),
    (f"t={T},v1={sign(SECRET, T, BODY)}", BODY + b" ", T, "no v1 signature matches"),
    (f"t={T},v1={sign(SECRET, T, BODY)}", BODY, T + 301, "outside the 300s window"),
    (f"t={T},v1={sign(SECRET, T, BODY)}", BODY, T - 301, "outside the 300s window"),
    (f"t={T + 1},v1={sign(SECRET, T, BODY)}", BODY, T, "no v1 signature matches"),   # timestamp moved
    (f"t={T},v1={sign(SECRET + 'x', T, BODY)}", BODY, T, "no v1 signature matches"),
    (f"t={T},v1=" + "0" * 64, BODY, T, "no v1 signature matches"),
])
def test_anything_else_is_refused_saying_which_check_failed(header, body, now, why):
    with pytest.raises(SignatureMismatch, match=why.replace("(", r"\(").replace("*", r"\*")) as caught:
        verify(SECRET, header, body, now=now)
    assert sign(SECRET, T, BODY) not in str(caught.value)   # never the expected signature


def test_the_window_is_the_receivers_choice():
    header = signature_header(SECRET, BODY, T)
    assert verify(SECRET, header, BODY, now=T + 3000, tolerance=3600) == T


def _target(handler) -> WebhookTarget:
    target = WebhookTarget("https://bailleur.example/relais", SECRET, clock=lambda: T)
    target.http.client = httpx.Client(transport=httpx.MockTransport(handler))
    return target


def _event_and_message():
    event = make_event(exemple("decision_cal.v1"))
    return event, Connector.encode(None, event)   # the canonical JSON envelope, as a partner subscriber renders


def test_the_target_signs_and_names_the_event():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(headers=request.headers, body=request.content)
        return httpx.Response(204)

    event, message = _event_and_message()
    _target(handler).post(event, message)
    assert verify(SECRET, seen["headers"]["relais-signature"], seen["body"], now=T) == T
    assert seen["headers"]["idempotency-key"] == event.id == seen["headers"]["relais-event-id"]
    assert seen["headers"]["x-relais-event-type"] == event.type
    assert REGISTRY.parse(seen["body"].decode()).id == event.id


@pytest.mark.parametrize(("response", "error", "retry_after"), [
    (httpx.Response(500), RetryableError, None),
    (httpx.Response(503, headers={"Retry-After": "7"}), RetryableError, 7.0),
    (httpx.Response(429, headers={"Retry-After": "30"}), RetryableError, 30.0),
    (httpx.Response(408), RetryableError, None),
    (httpx.Response(400, text="bad signature"), RejectError, None),
    (httpx.Response(410), RejectError, None),
])
def test_http_outcomes_map_onto_the_error_tree(response, error, retry_after):
    event, message = _event_and_message()
    with pytest.raises(error) as caught:
        _target(lambda _r: response).post(event, message)
    if error is RetryableError:
        assert caught.value.retry_after == retry_after


def test_an_unreachable_partner_is_retried():
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    event, message = _event_and_message()
    with pytest.raises(RetryableError, match="unreachable"):
        _target(refuse).post(event, message)


def test_the_secret_never_shows_in_a_repr():
    assert SECRET not in repr(_target(lambda _r: httpx.Response(204)))
    assert SECRET not in repr(Channel("bailleur-a", "webhook", url="https://x.example", secret=SECRET))
    assert isinstance(OutboundMessage(b"x", "x.json"), OutboundMessage)


def test_a_non_ascii_signature_is_a_mismatch_not_a_crash():
    now = 1_700_000_000
    with pytest.raises(SignatureMismatch, match="no v1 signature matches"):
        verify("whsec_" + "k" * 32, f"t={now},v1=é€", b"{}", now=now)


TOKEN_URL = "https://relais:pa55word@bailleur.example/relais/events?token=s3cr3t-t0ken&x=1#frag"


@pytest.mark.parametrize(("answer", "kind"), [
    (httpx.ConnectError("cannot connect to https://relais:pa55word@bailleur.example/relais/events?token=s3cr3t-t0ken"),
     RetryableError),
    (httpx.ReadTimeout("timed out"), RetryableError),
    (httpx.Response(400, text="bad request to /relais/events?token=s3cr3t-t0ken&x=1"), RejectError),
])
def test_a_failure_names_the_url_without_its_userinfo_nor_query(answer, kind):
    """What a failed delivery says is stored (``last_error``, the dead letters) and logged: a token in the URL's
    query string, or credentials before its host, are never in it; where it went still is."""
    def handler(request: httpx.Request) -> httpx.Response:
        if isinstance(answer, Exception):
            raise answer
        return answer

    target = WebhookTarget(TOKEN_URL, SECRET, clock=lambda: T)
    target.http.client = httpx.Client(transport=httpx.MockTransport(handler))
    with pytest.raises(kind) as caught:
        target.post(*_event_and_message())
    said = str(caught.value)
    assert "s3cr3t-t0ken" not in said and "pa55word" not in said and "relais:" not in said.split("HTTP")[0]
    assert "s3cr3t" not in repr(target) and "bailleur.example/relais/events?***" in repr(target)
    if kind is RetryableError:
        assert "https://***@bailleur.example/relais/events?***#***" in said


def test_the_channels_line_for_the_operator_and_the_audit_trail_masks_the_query_too():
    line = Channel(partner="p", kind="webhook", url=TOKEN_URL, secret=SECRET).describe()
    assert line.startswith("webhook https://***@bailleur.example/relais/events?***#***") and "s3cr3t" not in line
