"""The webhook target: a partner's events POSTed to its URL, signed, through its own connection pool.

Built on :class:`~hub.core.http_target.HttpTarget`, so the outcomes map onto the error tree exactly as for a
connector speaking HTTP (timeouts, 408/425/429 and 5xx retryable with ``Retry-After`` honoured; other 4xx
rejected, to the dead letters). What it adds: the ``Relais-Signature`` header (:mod:`hub.core.signatures`), the
event id in ``Idempotency-Key`` and ``Relais-Event-Id``, and a pool sized to the partner's ``concurrency`` — one
pool per partner, so that a partner whose server hangs holds only its own connections.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

from contracts import Envelope
from hub.core.connector import OutboundMessage
from hub.core.http_target import HttpTarget
from hub.core.signatures import SIGNATURE_HEADER, signature_header
from hub.core.urls import redacted_url

__all__ = ["USER_AGENT", "WebhookTarget"]

USER_AGENT = "relais-webhook/1"


class WebhookTarget:
    """POSTs one partner's events to its URL, signed with its secret."""

    def __init__(self, url: str, secret: str, *, concurrency: int = 1, timeout: float = 30.0,
                 clock: Callable[[], float] = time.time):
        self.url = url
        self._secret = secret
        self.clock = clock
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        self.http = HttpTarget(url, client=httpx.Client(timeout=timeout, limits=limits,
                                                        headers={"User-Agent": USER_AGENT}))

    def __repr__(self) -> str:   # never the secret nor a token of the URL, even in a traceback's locals
        return f"WebhookTarget({redacted_url(self.url)!r})"

    def post(self, event: Envelope[Any], message: OutboundMessage) -> httpx.Response:
        signed = signature_header(self._secret, message.body, int(self.clock()))
        return self.http.post(event, message, headers={SIGNATURE_HEADER: signed, "Relais-Event-Id": event.id})

    def close(self) -> None:
        self.http.close()
