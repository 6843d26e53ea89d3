"""Signing webhook deliveries, and checking a signature on the receiving side (Stripe-like).

The header a partner receives with each POST::

    Relais-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>

Why the timestamp is signed with the body: a captured request replayed later carries an old ``t`` that cannot be
changed without the secret, so a receiver refusing timestamps outside its window (300 s by default) refuses the
replay; the ``Idempotency-Key`` (the event id) absorbs the hub's own redeliveries within that window. Several
``v1=`` entries may appear (a secret being rotated): one matching is enough.

Pure functions, no I/O, so that a receiver can use them without running a hub (``hub.webhooks``).
"""

from __future__ import annotations

import hashlib
import hmac
import time

__all__ = ["DEFAULT_TOLERANCE", "SIGNATURE_HEADER", "SignatureMismatch", "sign", "signature_header", "verify"]

SIGNATURE_HEADER = "Relais-Signature"
#: Seconds a signed timestamp stays acceptable, either side of the receiver's clock.
DEFAULT_TOLERANCE = 300


class SignatureMismatch(ValueError):
    """The request is not one the hub signed with this secret within the window; the message says which check
    failed (never the expected signature)."""


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` under ``secret``."""
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    """The ``Relais-Signature`` value for ``body`` signed now (or at ``timestamp``)."""
    t = int(time.time()) if timestamp is None else int(timestamp)
    return f"t={t},v1={sign(secret, t, body)}"


def verify(secret: str, header: str | None, body: bytes, now: float | None = None,
           tolerance: float = DEFAULT_TOLERANCE) -> int:
    """Check a ``Relais-Signature`` header against the raw request body; return its timestamp.

    Raise :class:`SignatureMismatch` when the header is missing or malformed, the timestamp is outside
    ``tolerance`` seconds of ``now`` (default: the clock), or no ``v1`` signature matches (compared in constant
    time). Verify the bytes as received, before parsing them: re-serialised JSON would not match."""
    if not header:
        raise SignatureMismatch(f"{SIGNATURE_HEADER}: missing; the hub signs every delivery")
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep:
            raise SignatureMismatch(f"{SIGNATURE_HEADER}: {part.strip()[:40]!r} is not key=value "
                                    "(expected t=<unix>,v1=<hex>)")
        if key == "t":
            if not value.isdigit() or len(value) > 12:
                raise SignatureMismatch(f"{SIGNATURE_HEADER}: t={value[:20]!r} is not a unix time in seconds")
            timestamp = int(value)
        elif key == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        raise SignatureMismatch(f"{SIGNATURE_HEADER}: needs t=<unix> and at least one v1=<hex>")
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        raise SignatureMismatch(f"{SIGNATURE_HEADER}: timestamp {timestamp} is {abs(current - timestamp):.0f}s "
                                f"from now, outside the {tolerance:g}s window (a replay, or a clock to set right)")
    expected = sign(secret, timestamp, body)
    # compared as bytes: a non-ASCII candidate is a mismatch, not a TypeError out of compare_digest
    if not any(hmac.compare_digest(expected.encode(), c.encode("utf-8", "surrogatepass")) for c in candidates):
        raise SignatureMismatch(f"{SIGNATURE_HEADER}: no v1 signature matches this body and secret (tampered "
                                "body, or another secret)")
    return timestamp
