"""Routing and access policy: which subscriber gets which event, and whether it may see it.

Routing uses AMQP topic syntax for subscriptions so that the broker's bindings and the journal's delivery rows
agree exactly: ``*`` matches one dot-separated word, ``#`` zero or more.

The access rules are docs/domain.md's "Who may read nominative data": registration services, the EPCI, State services,
the SIAO, the device's manager, departmental commissions and the systems of record see every demand; a réservataire
sees a demand only when it concerns a commune where it holds reservations; anyone else sees nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

from contracts import Envelope
from hub.core.connector import Connector
from hub.core.journal import Route
from hub.core.roles import PartnerRole

__all__ = ["topic_matches", "AccessPolicy", "Router"]

FULL_ACCESS_ROLES = frozenset({
    PartnerRole.SNE, PartnerRole.FICHIER_PARTAGE, PartnerRole.GUICHET, PartnerRole.BAILLEUR, PartnerRole.SIAO,
    PartnerRole.COMED, PartnerRole.ETAT, PartnerRole.EPCI, PartnerRole.GESTIONNAIRE, PartnerRole.DEPARTEMENT,
    PartnerRole.PROCESSOR,
})


@lru_cache(maxsize=4096)
def _pattern(topic: str) -> re.Pattern[str]:
    parts = []
    for word in topic.split("."):
        if word == "#":
            parts.append(r"(?:[^.]+(?:\.[^.]+)*)?")
        elif word == "*":
            parts.append(r"[^.]+")
        else:
            parts.append(re.escape(word))
    regex = r"\.".join(parts).replace(r"\.(?:[^.]+(?:\.[^.]+)*)?", r"(?:\.[^.]+)*")
    return re.compile(rf"^{regex}$")


def topic_matches(patterns: Iterable[str], routing_key: str) -> bool:
    return any(_pattern(p).match(routing_key) for p in patterns)


class AccessPolicy:
    """Decides, for a partner and an event, whether the partner may receive it."""

    def allowed(self, connector: Connector, event: Envelope[Any]) -> bool:
        role = connector.role
        if role in FULL_ACCESS_ROLES:
            return True
        if role is PartnerRole.RESERVATAIRE:
            communes = set(getattr(connector.settings, "communes", ()) or ())
            return bool(communes & set(event.data.communes()))
        return False

    def may_emit(self, connector: Connector, event: Envelope[Any]) -> bool:
        return topic_matches(connector.emits, event.type)


class Router:
    """Computes the delivery rows of an event: every subscriber whose patterns match, with the policy's verdict.

    A connector never receives the events it emitted itself (a partner is not echoed its own changes)."""

    def __init__(self, connectors: Mapping[str, Connector], policy: AccessPolicy):
        self.connectors = connectors
        self.policy = policy

    def __call__(self, event: Envelope[Any]) -> list[Route]:
        routes = []
        for name, connector in self.connectors.items():
            if name == event.source or not topic_matches(connector.subscriptions, event.type):
                continue
            routes.append(Route(name, self.policy.allowed(connector, event)))
        return routes
