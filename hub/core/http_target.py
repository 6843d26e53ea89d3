"""Delivering to a partner over HTTP: the mapping from HTTP outcomes to the hub's error tree, in one place.

Connection failures, timeouts, 408, 425, 429 and 5xx are transient (:class:`RetryableError`, honouring
``Retry-After``); other 4xx mean the partner refuses this message as it is (:class:`RejectError`). The partner is
sent the event id in ``Idempotency-Key`` so that it can recognise a redelivery. An error names the URL without its
userinfo, query and fragment (:mod:`hub.core.urls`): it is stored in ``last_error`` and the dead letters, and logged.
"""

from __future__ import annotations

from typing import Any

import httpx

from contracts import Envelope
from hub.core.connector import OutboundMessage
from hub.core.errors import RejectError, RetryableError
from hub.core.urls import redacted_url, scrub

__all__ = ["HttpTarget"]

TRANSIENT_STATUS = frozenset({408, 425, 429})


class HttpTarget:
    """POSTs rendered events to one partner URL with a shared connection pool."""

    def __init__(self, url: str, *, timeout: float = 30.0, headers: dict[str, str] | None = None,
                 client: httpx.Client | None = None):
        self.url = url
        #: how errors name it: a token in its query string is never stored nor logged
        self.shown_url = redacted_url(url)
        self.client = client or httpx.Client(timeout=timeout, headers=headers or {})

    def post(self, event: Envelope[Any], message: OutboundMessage,
             headers: dict[str, str] | None = None) -> httpx.Response:
        """POST the message; ``headers`` adds to the standard ones (a webhook's signature)."""
        try:
            response = self.client.post(self.url, content=message.body, headers={
                "Content-Type": message.content_type, "Idempotency-Key": event.id, "X-Relais-Event-Type": event.type,
                **(headers or {})})
        # not chained to the library's exception: its request holds the whole URL, which a logged traceback shows
        except httpx.TimeoutException as exc:
            raise RetryableError(f"partner {self.shown_url} timed out: {type(exc).__name__}") from None
        except httpx.TransportError as exc:
            raise RetryableError(f"partner {self.shown_url} unreachable: {type(exc).__name__}: "
                                 f"{scrub(str(exc), self.url)}") from None
        status = response.status_code
        if status >= 500 or status in TRANSIENT_STATUS:
            raise RetryableError(f"partner answered HTTP {status}", retry_after=_retry_after(response))
        if status >= 400:
            raise RejectError(f"partner refused the message: HTTP {status}: {scrub(response.text[:300], self.url)}")
        return response

    def close(self) -> None:
        self.client.close()


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value and value.isdigit():
        return float(value)
    return None
