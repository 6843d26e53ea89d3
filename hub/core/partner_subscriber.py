"""A registered partner with a delivery channel, as a delivery subscriber of its own (``partner.<id>``).

Why a :class:`~hub.core.connector.Connector`: the delivery worker, the router, the access policy, the dead letters
and the operator's commands all work on connectors; a partner subscriber is one that decodes nothing and whose
``deliver`` is its channel, so that retries, backoff, dead letters, ``relais dead …``, ``relais deliveries`` and
``relais run --once`` treat it exactly as a connector. What differs:

* its recipient for the access rules is the partner itself — its role and its communes (territory; for a
  réservataire, where it holds reservations) — not its connector's configured partner;
* it subscribes to its channel's patterns, else to its connector's subscriptions, else to every event its access
  rules let it see (``#``: the bundled ``bailleurs`` connector subscribes to nothing);
* it is never sent what it emitted itself (the ids the registry scoped to it: ``sourcemessageid`` ``<id>/…``);
* it renders every event as the canonical JSON envelope (``contracts``), whatever its connector's format;
* a ``pull`` partner has no queue and no worker: its delivery rows wait until it fetches and acknowledges them;
* a partner revoked while the hub runs stops being pushed to within :data:`REVOCATION_CHECK` seconds
  (:class:`RevocationWatch`), its queued events kept, as a restart would leave them.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from contracts import Envelope
from hub.core.access_rules import recipient_of_partner
from hub.core.channels import EVERYTHING, Channel, ChannelKind
from hub.core.connector import Connector, ConnectorContext, ConnectorSettings, OutboundMessage, write_atomically
from hub.core.partners import Partner
from hub.core.webhook import WebhookTarget

__all__ = ["PartnerSubscriber", "REVOCATION_CHECK", "RevocationWatch"]

#: Seconds between two looks at the registry for revoked partners with a channel: the key cache's 30 s, so that a
#: revoked partner stops being pushed to about when its keys stop working.
REVOCATION_CHECK = 30.0


class PartnerSubscriber(Connector):
    """Delivers one partner's events through its channel."""

    version = "1"

    def __init__(self, partner: Partner, channel: Channel, connector: Connector | None, home: Path, *,
                 timeout: float = 30.0):
        self.name = channel.subscriber   # type: ignore[misc]
        self.role = partner.role          # type: ignore[misc]
        own = connector.subscriptions if connector is not None else ()
        self.subscriptions = channel.subscriptions or own or EVERYTHING   # type: ignore[misc]
        self.emits = ()                   # type: ignore[misc]
        outbox = channel.directory if channel.kind == ChannelKind.OUTBOX else home / "outbox" / self.name
        super().__init__(ConnectorSettings(communes=sorted(partner.communes)),
                         ConnectorContext(name=self.name, home=home, inbox=None, outbox=outbox))
        self.partner = partner
        self.channel = channel
        #: who the access rules decide for (``hub.core.access_rules.recipient_of`` takes it)
        self.recipient = recipient_of_partner(partner)
        self.target = WebhookTarget(channel.url or "", channel.secret or "", concurrency=channel.concurrency,
                                    timeout=timeout) if channel.kind == ChannelKind.WEBHOOK else None

    @property
    def concurrency(self) -> int:
        """Deliveries in flight at most to this partner (the hub runs that many workers on its queue)."""
        return self.channel.concurrency if self.channel.kind == ChannelKind.WEBHOOK else 1

    @property
    def pushes(self) -> bool:
        """Whether the hub delivers (a queue and a worker); a pull partner fetches instead."""
        return self.channel.kind != ChannelKind.PULL

    def emitted(self, event: Envelope[Any]) -> bool:
        """Whether the partner itself put ``event`` on the hub (a partner is not echoed its own decisions)."""
        return (event.sourcemessageid or "").startswith(f"{self.partner.id}/")

    def deliver(self, event: Envelope[Any], message: OutboundMessage) -> None:
        if self.target is not None:
            self.target.post(event, message)
        elif self.channel.kind == ChannelKind.OUTBOX:
            write_atomically(self.context.outbox, message.filename, message.body)
        else:
            raise RuntimeError(f"partner {self.partner.id} pulls its events; nothing is pushed to it")

    def close(self) -> None:
        if self.target is not None:
            self.target.close()


class RevocationWatch:
    """Which partner subscribers' partners were revoked (or removed) since the hub started.

    Why: channels are read at start, so without this a revoked partner's webhook kept receiving until ``relais run``
    restarted. The hub asks :meth:`newly_revoked` on each turn of its loop; the registry is read at most every
    ``every`` seconds. The hub then stops that partner's worker: what was queued for it stays pending (its rows and
    its queue are kept), exactly as at the next start, which ignores a revoked partner's channel."""

    def __init__(self, subscribers: Mapping[str, PartnerSubscriber], is_active: Callable[[str], bool], *,
                 every: float | None = None, clock: Callable[[], float] = time.monotonic):
        self.subscribers = subscribers
        self.is_active = is_active
        self.every = REVOCATION_CHECK if every is None else every
        self.clock = clock
        self._checked = clock()
        #: subscriber names found revoked, never delivered to again by this process
        self.stopped: set[str] = set()

    def newly_revoked(self) -> list[str]:
        """The subscribers whose partner is found no longer active by this look (none between two looks)."""
        now = self.clock()
        if now - self._checked < self.every:
            return []
        self._checked = now
        found = [name for name, s in self.subscribers.items()
                 if name not in self.stopped and not self.is_active(s.partner.id)]
        self.stopped.update(found)
        return found
