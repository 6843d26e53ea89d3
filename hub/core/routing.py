"""Routing and access policy: which subscriber gets which event, and whether it may see it.

Routing uses AMQP topic syntax for subscriptions so that the broker's bindings and the journal's delivery rows
agree exactly: ``*`` matches one dot-separated word, ``#`` zero or more.

The access rules are docs/domain.md's "Who may read nominative data": registration services, the EPCI, State services,
the SIAO, the device's manager, departmental commissions and the systems of record see every demand; a réservataire
sees a demand only when it concerns a commune where it holds reservations; anyone else sees nothing.
"""

from __future__ import annotations

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


def _words(text: str) -> tuple[str, ...]:
    """Split as RabbitMQ does: the empty key has no word; ``a.`` has two (``a`` and an empty one)."""
    return tuple(text.split(".")) if text else ()


@lru_cache(maxsize=16384)
def _matches(pattern: str, routing_key: str) -> bool:
    """RabbitMQ's topic semantics, word by word: ``*`` is exactly one word, ``#`` zero or more.

    Why not a regular expression: the one used before could not express "``#.`` may match nothing" (``#.a`` did
    not match ``a``), so the journal's delivery rows and the broker's bindings disagreed. This walks the pattern
    keeping the set of key positions reachable so far (no backtracking, linear in pattern × key)."""
    key = _words(routing_key)
    reachable = [True] + [False] * len(key)          # reachable[j]: the pattern so far can consume key[:j]
    for word in _words(pattern):
        following = [False] * (len(key) + 1)
        if word == "#":
            seen = False
            for j, ok in enumerate(reachable):
                seen = seen or ok
                following[j] = seen
        else:
            for j in range(len(key)):
                if reachable[j] and (word == "*" or word == key[j]):
                    following[j + 1] = True
        reachable = following
    return reachable[-1]


def topic_matches(patterns: Iterable[str], routing_key: str) -> bool:
    """Whether any of the subscription ``patterns`` takes ``routing_key``, exactly as a RabbitMQ topic exchange
    bound with those patterns would route it."""
    return any(_matches(p, routing_key) for p in patterns)


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
