"""API keys the hub issues to partners: their format, how they are hashed, how a presented key is checked.

A key reads ``rk_<key id>_<secret>``: the key id is public (it appears in the audit trail and in ``relais partners
show``) and finds the one row to check, the secret is 256 random bits from :mod:`secrets`. Only a salted scrypt
hash of the whole key is stored (stdlib :func:`hashlib.scrypt`, OpenSSL's implementation), so a copy of the
database gives no usable key. scrypt costs tens of milliseconds on purpose; :class:`VerifiedKeys` remembers, for a
short while, the SHA-256 of keys that verified, so that the gateway pays it once per key and not per request.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

__all__ = ["IssuedKey", "new_key", "parse_key_id", "hash_key", "key_matches", "VerifiedKeys", "KEY_PATTERN"]

KEY_PATTERN = re.compile(r"^rk_([0-9a-f]{12})_([A-Za-z0-9_-]{43})$")

#: scrypt cost: 2^14 × 8 × 128 bytes = 16 MiB of memory per check, ~40 ms here.
_N, _R, _P = 2 ** 14, 8, 1


@dataclass(frozen=True)
class IssuedKey:
    """A key just made: ``key`` is shown once to the operator and never stored."""

    key_id: str
    key: str
    hash: str


def new_key() -> IssuedKey:
    key_id = secrets.token_hex(6)
    key = f"rk_{key_id}_{secrets.token_urlsafe(32)}"
    return IssuedKey(key_id, key, hash_key(key))


def parse_key_id(presented: str) -> str | None:
    """The key id of a well-formed hub key; None for anything else (a legacy configured key, garbage)."""
    match = KEY_PATTERN.match(presented)
    return match.group(1) if match else None


def hash_key(key: str, *, salt: bytes | None = None, n: int = _N, r: int = _R, p: int = _P) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(key.encode(), salt=salt, n=n, r=r, p=p, maxmem=64 * 1024 * 1024, dklen=32)
    b64 = base64.urlsafe_b64encode
    return f"scrypt${n}${r}${p}${b64(salt).decode()}${b64(digest).decode()}"


def key_matches(key: str, stored: str) -> bool:
    """Whether ``key`` is the one ``stored`` was made from (constant-time comparison of the digests)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    again = hash_key(key, salt=base64.urlsafe_b64decode(salt), n=int(n), r=int(r), p=int(p))
    return hmac.compare_digest(again.rsplit("$", 1)[1], digest)


T = TypeVar("T")


class VerifiedKeys(Generic[T]):
    """Keys that verified recently, by the SHA-256 of the presented key, for ``ttl`` seconds.

    Why a short time: a revoked or expired key must stop working soon in every hub process, including those that
    did not revoke it; the process that revokes forgets at once (:meth:`forget`)."""

    def __init__(self, ttl: float = 30.0, clock: Callable[[], float] = time.monotonic, size: int = 10_000):
        self.ttl = ttl
        self.clock = clock
        self.size = size
        self._entries: dict[bytes, tuple[float, T]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def fingerprint(presented: str) -> bytes:
        return hashlib.sha256(presented.encode()).digest()

    def get(self, presented: str) -> T | None:
        fingerprint = self.fingerprint(presented)
        with self._lock:
            entry = self._entries.get(fingerprint)
            if entry is None:
                return None
            if entry[0] <= self.clock():
                del self._entries[fingerprint]
                return None
            return entry[1]

    def put(self, presented: str, value: T, ttl: float | None = None) -> None:
        with self._lock:
            if len(self._entries) >= self.size:
                self._entries.clear()   # a flood of distinct valid keys: start again rather than grow
            self._entries[self.fingerprint(presented)] = (self.clock() + (self.ttl if ttl is None else ttl), value)

    def forget(self, predicate: Callable[[T], bool] | None = None) -> None:
        with self._lock:
            if predicate is None:
                self._entries.clear()
            else:
                for fingerprint in [f for f, (_, v) in self._entries.items() if predicate(v)]:
                    del self._entries[fingerprint]
