"""What one client may take of the gateway: time to send its headers and its body, idle keep-alive connections,
concurrent requests per partner. Why: a partner's runaway client (or an attacker) must not hold the connections,
the memory or the workers every other partner needs.

The server's own settings are used where uvicorn has them (``limit_concurrency``: 503 beyond it;
``timeout_keep_alive``; ``h11_max_incomplete_event_size``: the header size); what it lacks is added here — a
deadline on receiving a request's headers (a client sending one byte every few seconds used to keep its connection
forever), a deadline on every piece of the body, and a cap on one partner's requests in flight (429).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import threading
import time
from collections.abc import AsyncIterator, Callable
from typing import Any

import structlog
from fastapi import HTTPException
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["HeaderDeadlineProtocol", "PartnerSlots", "PartnerRates", "read_limited", "MAX_HEADER_BYTES",
           "PEER_SUBJECT", "peer_subject"]

log = structlog.get_logger(__name__)

#: Largest header block a client may send (uvicorn's own limit, made explicit).
MAX_HEADER_BYTES = 64 * 1024


#: The ASGI scope extension holding the verified client certificate's subject (mutual TLS).
PEER_SUBJECT = "relais.peer_subject"

#: Short names of RFC 4514 for the attributes a subject usually has.
_SHORT_NAMES = {"commonName": "CN", "organizationName": "O", "organizationalUnitName": "OU", "countryName": "C",
                "localityName": "L", "stateOrProvinceName": "ST", "streetAddress": "STREET",
                "domainComponent": "DC", "userId": "UID"}


def peer_subject(transport: Any) -> str | None:
    """The subject of the client certificate the TLS handshake verified, as RFC 4514 writes it (``openssl x509
    -noout -subject -nameopt RFC2253`` prints the same): ``CN=caleol.ophis.fr,O=OPHIS,C=FR``. None without one.

    Why here: uvicorn does not put the peer certificate in the ASGI scope; the protocol sees the transport."""
    peer = transport.get_extra_info("peercert") if transport is not None else None
    if not peer or "subject" not in peer:
        return None
    parts = [f"{_SHORT_NAMES.get(name, name)}={value}" for rdn in reversed(peer["subject"]) for name, value in rdn]
    return ",".join(parts) or None


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers are not complete within
    ``read_timeout`` seconds of its opening (or of the previous response): slow-header clients hold nothing. With
    mutual TLS, it also puts the verified client certificate's subject in the request's scope (``PEER_SUBJECT``)."""

    read_timeout: float = 10.0

    def connection_made(self, transport: Any) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def _arm(self) -> None:
        self._disarm()
        self._header_deadline = self.loop.call_later(self.read_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        deadline = getattr(self, "_header_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._header_deadline = None

    def handle_events(self) -> None:
        before = self.cycle
        super().handle_events()
        if self.cycle is not None and self.cycle is not before:   # a request's headers arrived
            self._disarm()
            subject = peer_subject(self.transport)
            if subject is not None:   # read by hub.gateway.auth before the application's task first runs
                self.cycle.scope.setdefault("extensions", {})[PEER_SUBJECT] = subject

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing():
            self._arm()   # the next request on this connection gets the same deadline

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _headers_too_slow(self) -> None:
        self._header_deadline = None
        if self.cycle is None or self.cycle.response_complete:
            log.warning("gateway_slow_headers_closed", client=str(self.client), timeout=self.read_timeout)
            self.transport.close()


#: The slowest a body may arrive on average (bytes per second) once the first ``read_timeout`` has passed.
MIN_BODY_RATE = 16 * 1024


async def read_limited(stream: AsyncIterator[bytes], *, limit: int, timeout: float, connector: str,
                       expected: int | None = None) -> bytes:
    """The request body, refused with 413 past ``limit`` bytes, and with 408 when the client sends nothing for
    ``timeout`` seconds or takes longer than ``timeout`` plus ``expected`` (its Content-Length, else ``limit``)
    bytes at :data:`MIN_BODY_RATE` — a body trickled at one byte every two seconds used to hold its request
    forever."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout + (expected if expected is not None else limit) / MIN_BODY_RATE
    chunks: list[bytes] = []
    size = 0
    iterator = stream.__aiter__()
    while True:
        wait = min(timeout, deadline - loop.time())
        try:
            if wait <= 0:
                raise TimeoutError
            chunk = await asyncio.wait_for(iterator.__anext__(), wait)
        except StopAsyncIteration:
            break
        except (TimeoutError, asyncio.TimeoutError):
            log.warning("gateway_slow_body_refused", connector=connector, received=size, timeout=timeout)
            raise HTTPException(408, detail=f"the body arrives too slowly ({size} bytes received; at most "
                                            f"{timeout:g}s of silence, and {MIN_BODY_RATE} bytes/s on average); "
                                            "send it again at once") from None
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, detail=f"over connectors.{connector}.max_message_bytes ({limit} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


class PartnerSlots:
    """At most ``per_partner`` requests of one partner in progress; the next gets 429 with ``Retry-After`` at once,
    so that one partner's flood never makes the others wait."""

    def __init__(self, per_partner: int):
        self.per_partner = per_partner
        self._busy: dict[str, int] = {}

    @contextlib.contextmanager
    def slot(self, connector: str):
        if self._busy.get(connector, 0) >= self.per_partner:
            log.warning("gateway_partner_busy", partner=connector, limit=self.per_partner)
            raise HTTPException(429, detail=f"partner {connector!r} already has {self.per_partner} requests in "
                                            "progress (gateway_max_requests_per_partner); retry shortly",
                                headers={"Retry-After": "1"})
        self._busy[connector] = self._busy.get(connector, 0) + 1
        try:
            yield
        finally:
            self._busy[connector] -= 1


class PartnerRates:
    """A token bucket per partner: ``rate`` requests per second on average, ``burst`` at once. Past it, 429 with
    the seconds until a request would pass in ``Retry-After``. Why beside :class:`PartnerSlots`: slots bound the
    requests in flight, this bounds their flow — a runaway client of fast requests starves the journal too."""

    def __init__(self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic):
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}   # partner → (tokens, at)
        self._lock = threading.Lock()

    def wait_needed(self, partner: str) -> float:
        """0 when the partner may go on (a token is taken), else the seconds until it may."""
        if self.rate <= 0:
            return 0.0
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.get(partner, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[partner] = (tokens - 1.0, now)
                return 0.0
            self._buckets[partner] = (tokens, now)
            return (1.0 - tokens) / self.rate

    def check(self, partner: str) -> None:
        wait = self.wait_needed(partner)
        if wait > 0:
            log.warning("gateway_partner_rate_limited", partner=partner, rate=self.rate)
            raise HTTPException(429, detail=f"partner {partner!r} is over its rate of {self.rate:g} requests per "
                                            "second (gateway_rate_per_partner); retry after Retry-After seconds",
                                headers={"Retry-After": str(max(1, math.ceil(wait)))})
