"""Per-partner delivery channels: how a registered partner receives the events that concern it.

Why per partner and not per connector: several landlords speak through the one ``bailleurs`` connector; each must
receive only what its own access rules allow (its role, its territory, for a réservataire where it holds
reservations), at its own address, without a slow landlord holding up another. A partner with a channel is its own
delivery subscriber, named ``partner.<id>`` (:func:`subscriber_name`): its own queue, delivery rows, retries, dead
letters and ``relais deliveries`` line.

Kinds:

* ``webhook`` — events POSTed to a URL, signed (:mod:`hub.core.signatures`), at most ``concurrency`` in flight;
* ``outbox`` — one file per event written atomically into a directory (owner-only), as the connectors' outboxes;
* ``pull`` — nothing pushed: the partner fetches its pending events from the gateway and acknowledges them
  (``GET /v1/partners/me/events``), for partners behind a firewall.

The hub reads the channels when it starts: a change takes effect at the next start of ``relais run``.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from sqlalchemy import Engine, delete, insert, select

from hub.core.partners import PartnerError
from hub.core.partners_schema import partner_channels
from hub.core.topics import topic_matches
from hub.core.urls import redacted_url

__all__ = [
    "MAX_CONCURRENCY",
    "SUBSCRIBER_PREFIX",
    "Channel",
    "ChannelKind",
    "ChannelStore",
    "new_secret",
    "partner_of_subscriber",
    "subscriber_name",
]

SUBSCRIBER_PREFIX = "partner."
#: A subscriber name is at most 64 characters (the ``deliveries`` table), so a partner with a channel at most this.
MAX_PARTNER_ID = 64 - len(SUBSCRIBER_PREFIX)
MAX_CONCURRENCY = 32
#: What a partner subscribes to when neither its channel nor its connector says: every event its access rules let
#: it see.
EVERYTHING = ("#",)


class ChannelKind:
    WEBHOOK = "webhook"
    OUTBOX = "outbox"
    PULL = "pull"
    ALL = (WEBHOOK, OUTBOX, PULL)


@dataclass(frozen=True)
class Channel:
    partner: str
    kind: str
    url: str | None = None
    secret: str | None = field(default=None, repr=False)   # never logged, never shown after it was made
    directory: Path | None = None
    concurrency: int = 1
    subscriptions: tuple[str, ...] | None = None   # None: the connector's, else EVERYTHING

    @property
    def subscriber(self) -> str:
        return subscriber_name(self.partner)

    def describe(self) -> str:
        """One line for an operator (printed, and kept in the audit trail), without the secret nor the URL's query
        string, where a partner may have put a token."""
        if self.kind == ChannelKind.WEBHOOK:
            return f"webhook {redacted_url(self.url or '')} (signed; {self.concurrency} in flight)"
        if self.kind == ChannelKind.OUTBOX:
            return f"outbox {self.directory}"
        return "pull (GET /v1/partners/me/events, then POST …/ack)"


def subscriber_name(partner_id: str) -> str:
    return f"{SUBSCRIBER_PREFIX}{partner_id}"


def partner_of_subscriber(subscriber: str) -> str | None:
    """The partner id of a ``partner.<id>`` subscriber, None for a connector."""
    return subscriber[len(SUBSCRIBER_PREFIX):] if subscriber.startswith(SUBSCRIBER_PREFIX) else None


def new_secret() -> str:
    """A signing secret: 32 random bytes, URL-safe, prefixed so that a leaked one is recognisable in a scan."""
    return "whsec_" + secrets.token_urlsafe(32)


def _utcnow() -> datetime:
    return datetime.now(UTC)


def check_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise PartnerError(f"--webhook {url[:100]!r}: give an absolute http(s) URL, e.g. "
                           "https://bailleur.example/relais/events")
    if parts.username or parts.password:
        raise PartnerError("--webhook: no credentials in the URL (they would be stored and shown); the signature "
                           "authenticates the hub to the partner")
    if len(url) > 2000:
        raise PartnerError("--webhook: at most 2000 characters")
    return url


def check_patterns(patterns: Iterable[str]) -> tuple[str, ...]:
    checked = []
    for p in patterns:
        words = p.split(".")
        if not p or len(p) > 100 or any(not w or (("*" in w or "#" in w) and w not in ("*", "#")) for w in words):
            raise PartnerError(f"--subscribe {p!r}: a topic pattern of dot-separated words, '*' or '#' "
                               "(e.g. decision_cal.*, demande_*: write demande_enregistree.*)")
        topic_matches((p,), "probe.v1")   # the matcher accepts it
        checked.append(p)
    return tuple(checked)


class ChannelStore:
    """The ``partner_channels`` table: one channel per partner, at most."""

    def __init__(self, engine: Engine, clock: Callable[[], datetime] = _utcnow):
        self.engine = engine
        self.clock = clock

    def set(self, partner_id: str, kind: str, *, url: str | None = None, secret: str | None = None,
            directory: Path | None = None, concurrency: int = 1,
            subscriptions: Iterable[str] | None = None) -> Channel:
        """Give a partner its channel (replacing the one it had). The caller checked the partner exists."""
        if len(partner_id) > MAX_PARTNER_ID:
            raise PartnerError(f"partner id {partner_id!r}: a partner receiving events has an id of at most "
                               f"{MAX_PARTNER_ID} characters (its subscriber is {SUBSCRIBER_PREFIX}ID); register "
                               "it under a shorter id")
        if kind not in ChannelKind.ALL:
            raise PartnerError(f"channel {kind!r}: one of {', '.join(ChannelKind.ALL)}")
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise PartnerError(f"--concurrency {concurrency}: between 1 and {MAX_CONCURRENCY} requests in flight")
        if kind == ChannelKind.WEBHOOK:
            url = check_url(url or "")
            secret = secret or new_secret()
            if len(secret) < 16 or len(secret) > 200:
                raise PartnerError("--secret-file: a signing secret of 16 to 200 characters")
        if kind == ChannelKind.OUTBOX and (directory is None or not directory.is_absolute()):
            raise PartnerError(f"--outbox {directory}: give an absolute directory path (the hub may run from "
                               "another working directory)")
        patterns = None if subscriptions is None else check_patterns(subscriptions)
        if patterns == ():
            patterns = None
        with self.engine.begin() as conn:
            conn.execute(delete(partner_channels).where(partner_channels.c.partner == partner_id))
            conn.execute(insert(partner_channels).values(
                partner=partner_id, kind=kind, url=url if kind == ChannelKind.WEBHOOK else None,
                secret=secret if kind == ChannelKind.WEBHOOK else None,
                directory=str(directory) if kind == ChannelKind.OUTBOX else None,
                concurrency=concurrency if kind == ChannelKind.WEBHOOK else 1,
                subscriptions=None if patterns is None else json.dumps(list(patterns)), updated_at=self.clock()))
        return self.get(partner_id)  # type: ignore[return-value]

    def remove(self, partner_id: str) -> bool:
        with self.engine.begin() as conn:
            return conn.execute(delete(partner_channels).where(partner_channels.c.partner == partner_id)).rowcount > 0

    def get(self, partner_id: str) -> Channel | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(partner_channels).where(partner_channels.c.partner == partner_id)) \
                .mappings().first()
        return _channel(row) if row else None

    def all(self) -> list[Channel]:
        with self.engine.connect() as conn:
            rows = conn.execute(select(partner_channels).order_by(partner_channels.c.partner)).mappings().all()
        return [_channel(r) for r in rows]


def _channel(row: dict) -> Channel:
    return Channel(partner=row["partner"], kind=row["kind"], url=row["url"], secret=row["secret"],
                   directory=Path(row["directory"]) if row["directory"] else None, concurrency=row["concurrency"],
                   subscriptions=None if row["subscriptions"] is None else tuple(json.loads(row["subscriptions"])))
