"""Routing and access policy: which subscriber gets which event, and whether it may see it.

Routing uses AMQP topic syntax for subscriptions (:mod:`hub.core.topics`) so that the broker's bindings and the
journal's delivery rows agree exactly.

The access rules are data (:mod:`hub.core.access_rules`): docs/domain.md's "Who may read nominative data" by default, a
territory's own file when the ``access_rules`` setting names one. A subscriber is a connector, whose partner is the
connector's own (its role, and its ``communes``: the territory, or for a réservataire the communes where it holds
reservations), or a registered partner with a delivery channel (``partner.<id>``, :mod:`hub.core.partner_subscriber`),
which receives as itself. A decision is computed once per event and subscriber and remembered: the
router decides when the event is journaled, the delivery worker asks again and gets the same answer.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping
from threading import Lock
from typing import Any

from contracts import Envelope
from hub.core.access_rules import AccessRules, History, Recipient, Verdict, recipient_of
from hub.core.connector import Connector
from hub.core.journal import Route
from hub.core.topics import topic_matches

__all__ = ["topic_matches", "AccessPolicy", "Router", "recipient_of"]

#: Answers remembered, (event id, subscriber) → allowed: enough for a batch's routing and its delivery's check.
_CACHE_SIZE = 10_000


class AccessPolicy:
    """Decides, for a partner and an event, whether the partner may receive it, by the access rules.

    ``history(numero_unique)`` gives the event types journaled for a demand (rules on a household's past: the SIAO
    for households it oriented, the COMED for DALO households); without it only the event itself counts."""

    def __init__(self, rules: AccessRules | None = None,
                 history: History | None = None,
                 on_denied: Callable[[Connector, Envelope[Any], Verdict], None] | None = None):
        self.rules = rules or AccessRules.load()
        self.history = history
        #: told of each refusal, once per event and subscriber (the hub writes it in the audit trail)
        self.on_denied = on_denied
        self._allowed: OrderedDict[tuple[str, str], bool] = OrderedDict()
        self._lock = Lock()
        #: subscriber name → (the connector, its settings, its recipient): a connector's partner is fixed by its
        #: settings, which are replaced, never changed in place
        self._recipients: dict[str, tuple[Connector, Any, Recipient]] = {}

    def recipient(self, connector: Connector) -> Recipient:
        """``recipient_of(connector)``, built once per connector and settings (a partner subscriber's own recipient
        is read each time: its registration can change while the hub runs)."""
        own = getattr(connector, "recipient", None)
        if isinstance(own, Recipient):
            return own
        settings = getattr(connector, "settings", None)
        found = self._recipients.get(connector.name)
        if found is not None and found[0] is connector and found[1] is settings:
            return found[2]
        made = recipient_of(connector)
        self._recipients[connector.name] = (connector, settings, made)
        return made

    def verdict(self, connector: Connector, event: Envelope[Any]) -> Verdict:
        """The rules' full answer (the rule, why): for explaining; deciding goes through :meth:`allowed`."""
        return self.rules.evaluate(self.recipient(connector), event, self.history)

    def allowed(self, connector: Connector, event: Envelope[Any]) -> bool:
        """Whether ``connector``'s partner may receive ``event``; computed once per event and subscriber (only the
        answer is kept, a few dozen bytes: a 30,000-event message must not hold 30,000 explanations).

        An access the rules settled by its inputs alone (no history read) is answered from the rules' memory
        without keeping anything per event: the router and every worker ask for each event (py-spy: ~15 % of the
        hub's Python time, embedded, went to asking again). A refusal still goes through the per-event memory, so
        that ``on_denied`` hears of it once per event and subscriber."""
        settled = self.rules.remembered(self.recipient(connector), event)
        if settled is not None and settled.allowed:
            return True
        key = (event.id, connector.name)
        with self._lock:
            found = self._allowed.get(key)
        if found is not None:
            return found
        verdict = self.verdict(connector, event)
        if not verdict.allowed and self.on_denied is not None:
            self.on_denied(connector, event, verdict)
        with self._lock:
            self._allowed[key] = verdict.allowed
            if len(self._allowed) > _CACHE_SIZE:
                self._allowed.popitem(last=False)
        return verdict.allowed

    def may_emit(self, connector: Connector, event: Envelope[Any]) -> bool:
        return topic_matches(connector.emits, event.type)


class Router:
    """Computes the delivery rows of an event: every subscriber whose patterns match, with the policy's verdict.

    A connector never receives the events it emitted itself, nor a partner subscriber those its partner emitted (a
    partner is not echoed its own changes)."""

    def __init__(self, connectors: Mapping[str, Connector], policy: AccessPolicy):
        self.connectors = connectors
        self.policy = policy

    def __call__(self, event: Envelope[Any]) -> list[Route]:
        routes = []
        for name, connector in self.connectors.items():
            if name == event.source or not topic_matches(connector.subscriptions, event.type):
                continue
            emitted = getattr(connector, "emitted", None)
            if emitted is not None and emitted(event):
                continue
            routes.append(Route(name, self.policy.allowed(connector, event)))
        return routes
