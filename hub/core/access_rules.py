"""The access rules as data: who may receive which demands (and, by role, which event types a partner emits), read
from a TOML file (``access_rules.toml`` beside
this module is the default, docs/domain.md's table; a territory names its own with the ``access_rules`` setting).

Why data and not code: the rules are the territory's agreement (the PPGD's convention), they change without a
release, and an operator must be able to say which rule let an event through (``relais policy explain``). Each
evaluation returns a :class:`Verdict` naming the rule and why, so the explanation is the decision itself, never a
second implementation of it.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from contracts import Envelope
from hub.core.errors import ConfigurationError
from hub.core.roles import PartnerRole
from hub.core.topics import topic_matches

__all__ = ["AccessRule", "AccessRules", "Verdict", "DEFAULT_RULES", "Recipient", "recipient_of",
           "recipient_of_partner", "DemandFact", "History"]

DEFAULT_RULES = Path(__file__).with_name("access_rules.toml")
GRANTS = ("all", "territory", "reservations", "demand_types")
#: verdicts remembered by their inputs (a few hundred bytes each)
_SETTLED_SIZE = 4096
#: who must have emitted the event that grants a ``demand_types`` rule: anyone, or the recipient itself
EMITTERS = ("anyone", "self")


@dataclass(frozen=True)
class DemandFact:
    """One kind of event journaled for a demand, and who put it there: its type, the legal entity answerable for
    it (SIREN) and the connector it came in through. Why the emitter: a rule such as "the SIAO sees the households
    it oriented" is about *its* orientations, not any SIAO's (``from = "self"``)."""

    type: str
    siren: str
    source: str


#: ``history(numero_unique)`` → the facts journaled for that demand
History = Callable[[str], frozenset[DemandFact]]


class AccessRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    roles: tuple[PartnerRole, ...] = Field(min_length=1)
    grant: str
    types: tuple[str, ...] = ()
    emitted_by: str = Field(default="anyone", alias="from")

    @model_validator(mode="after")
    def _coherent(self) -> "AccessRule":
        if self.grant not in GRANTS:
            raise ValueError(f"grant: {self.grant!r} is not one of {', '.join(GRANTS)}")
        if self.grant == "demand_types" and not self.types:
            raise ValueError("types: required when grant is demand_types (topic patterns, e.g. decision_dalo.*)")
        if self.emitted_by not in EMITTERS:
            raise ValueError(f"from: {self.emitted_by!r} is not one of {', '.join(EMITTERS)}")
        if self.emitted_by != "anyone" and self.grant != "demand_types":
            raise ValueError("from: only for grant = demand_types (who emitted the event that grants)")
        return self


class _RulesFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    rules: list[AccessRule]
    emits: dict[PartnerRole, tuple[str, ...]] = Field(default_factory=dict)


@dataclass(frozen=True)
class Recipient:
    """Who would receive: a partner's id, role and communes (its territory; for a réservataire, where it holds
    reservations), and how to recognise what it emitted itself (``from = "self"`` rules): its legal entity's
    ``siren``, else — a connector's own partner with no ``entity`` configured — the events its ``connector``
    decoded."""

    id: str
    role: PartnerRole
    communes: frozenset[str] = frozenset()
    siren: str | None = None
    connector: str | None = None

    def emitted(self, fact: DemandFact) -> bool:
        """Whether an event (its legal entity, the connector it came in through) is the recipient's own."""
        if self.siren is not None:
            return fact.siren == self.siren
        return self.connector is not None and fact.source == self.connector

    def describe(self) -> str:
        return f"SIREN {self.siren}" if self.siren is not None else f"connector {self.connector}"


def recipient_of(connector: Any) -> Recipient:
    """The partner a subscriber receives for: a partner subscriber's own (``recipient``: the registered partner,
    its role and communes), else the connector's configured partner — its role, and its ``communes`` (territory, or
    where it holds reservations)."""
    own = getattr(connector, "recipient", None)
    if isinstance(own, Recipient):
        return own
    entity = getattr(connector.settings, "entity", None)
    return Recipient(f"connector:{connector.name}", connector.role,
                     frozenset(getattr(connector.settings, "communes", ()) or ()),
                     siren=entity.siren if entity is not None else None, connector=connector.name)


def recipient_of_partner(partner: Any) -> Recipient:
    """A registered partner as the rules see it: its id, role, communes and legal entity."""
    entity = partner.entity
    return Recipient(partner.id, partner.role, frozenset(partner.communes), siren=entity.siren if entity is not None else None,
                     connector=partner.connector if entity is None else None)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    rule: str | None          # the rule that granted, None when none did
    why: str


def _event_key(recipient: Recipient, event: Envelope[Any]) -> tuple[Any, ...]:
    """Every input of a verdict but the subject and the history, as a flat tuple: hashed and compared in C (the
    dataclasses' own take a Python call). The communes are its sixth item."""
    return (recipient.id, recipient.role, recipient.communes, recipient.siren, recipient.connector,
            frozenset(event.data.communes()), event.type, event.entity.siren, event.source)


class AccessRules:
    """Evaluate the rules for a recipient and an event; ``history(subject)`` gives the facts journaled for a demand
    (:class:`DemandFact`, for ``demand_types`` rules), if the caller can."""

    def __init__(self, rules: Iterable[AccessRule], source: str = "default",
                 emits: dict[PartnerRole, tuple[str, ...]] | None = None):
        self.rules = tuple(rules)
        self.source = source
        #: role → the event types a partner of that role emits unless its registration says otherwise
        self.emits = dict(emits or {})
        #: the recipient's fields, the communes, the event's type, SIREN and source → the verdict, for verdicts that
        #: never looked at a demand's history
        self._settled: dict[tuple[Any, ...], Verdict] = {}

    @classmethod
    def load(cls, path: Path | None = None) -> "AccessRules":
        path = path or DEFAULT_RULES
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigurationError(f"access_rules: {path} cannot be read ({exc}); give a readable TOML file") \
                from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigurationError(f"access_rules: {path}: TOML syntax error: {exc}") from None
        try:
            parsed = _RulesFile.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigurationError(f"access_rules: {path}: {where}: {first['msg']} (see the shipped "
                                     f"{DEFAULT_RULES.name} for the shape)") from None
        return cls(parsed.rules, source=str(path), emits=parsed.emits)

    def evaluate(self, recipient: Recipient, event: Envelope[Any],
                 history: History | None = None) -> Verdict:
        key = _event_key(recipient, event)
        found = self._settled.get(key)
        if found is not None:
            return found
        fact = DemandFact(event.type, event.entity.siren, event.source)
        return self._decide(key, recipient, key[5], fact, event.subject, history)

    def remembered(self, recipient: Recipient, event: Envelope[Any]) -> Verdict | None:
        """The verdict already settled for these inputs (see :meth:`_decide`), or None: nothing is computed, no
        history read. Why: a worker asks for every event it delivers, and nearly every answer is one of a handful."""
        return self._settled.get(_event_key(recipient, event))

    def evaluate_demand(self, recipient: Recipient, numero_unique: str, communes: Iterable[str],
                        history: History | None = None) -> Verdict:
        """Whether ``recipient`` may read a demand itself (a list's row, an information desk's look-up): the same
        rules as for its events, with the demand's wished communes in place of an event's and only the demand's
        journaled history for ``demand_types`` rules. One engine for both, so that a partner never reads through
        an API what it would not have received as an event."""
        communes = frozenset(communes)
        key = (recipient.id, recipient.role, recipient.communes, recipient.siren, recipient.connector, communes,
               None, None, None)
        found = self._settled.get(key)
        if found is not None:
            return found
        return self._decide(key, recipient, communes, None, numero_unique, history)

    def _decide(self, key: tuple[Any, ...], recipient: Recipient, communes: frozenset[str], event: DemandFact | None,
                subject: str | None, history: History | None) -> Verdict:
        """The verdict, remembered under ``key`` (every input but the subject and the history) when it is a
        function of its key alone.

        Why it is safe: the rules are fixed for this object, and a verdict that never reached a demand's history
        read nothing but the recipient (its id, role, communes, SIREN, connector), the communes and the event's type,
        SIREN and source, which are the key (the subject only ever serves to look the history up). A verdict that
        did reach the history — even when there is no ``history`` to ask — is never remembered: the history grows
        and shrinks (retention), and without a ``history`` a ``demand_types`` rule answers otherwise. Why: every
        subscriber's worker asks again for each event it delivers (:class:`hub.core.routing.AccessPolicy` keeps
        only the last answers by event), and the recipients, communes and event types are few."""
        consulted = False

        def looked_up(subject: str) -> frozenset[DemandFact]:
            nonlocal consulted
            consulted = True
            return history(subject) if history is not None else frozenset()

        verdict = self._evaluate(recipient, communes, event, subject, looked_up)
        if not consulted:
            if len(self._settled) >= _SETTLED_SIZE:   # bounded: a territory with thousands of commune sets
                self._settled.clear()
            self._settled[key] = verdict
        return verdict

    def _evaluate(self, recipient: Recipient, communes: frozenset[str], event: DemandFact | None,
                  subject: str | None, history: History) -> Verdict:
        mine = [r for r in self.rules if recipient.role in r.roles]
        if not mine:
            return Verdict(False, None, f"no rule of {self.source} is for role {recipient.role.value}")
        reasons = []
        for rule in mine:
            granted, why = self._grants(rule, recipient, communes, event, subject, history)
            if granted:
                return Verdict(True, rule.name, why)
            reasons.append(f"{rule.name}: {why}")
        return Verdict(False, None, "; ".join(reasons))

    @staticmethod
    def _grants(rule: AccessRule, recipient: Recipient, communes: frozenset[str], event: DemandFact | None,
                subject: str | None, history: History | None) -> tuple[bool, str]:
        what = "event" if event is not None else "demand"
        if rule.grant == "all":
            return True, f"role {recipient.role.value} sees every demand"
        if rule.grant == "territory":
            if not recipient.communes:
                return True, "no territory configured: the whole device's"
            if not communes:
                return True, f"the {what} names no commune"
            shared = communes & recipient.communes
            return (True, f"commune {', '.join(sorted(shared))} in its territory") if shared else \
                (False, f"communes {', '.join(sorted(communes))} outside its territory")
        if rule.grant == "reservations":
            shared = communes & recipient.communes
            if shared:
                return True, f"holds reservations in {', '.join(sorted(shared))}"
            named = ", ".join(sorted(communes)) or "none named"
            return False, f"holds no reservation in the {what}'s communes ({named})"
        return AccessRules._by_demand_types(rule, recipient, event, subject, history)

    @staticmethod
    def _by_demand_types(rule: AccessRule, recipient: Recipient, event: DemandFact | None,
                         subject: str | None, history: History | None) -> tuple[bool, str]:
        """``demand_types``: the event, or one of the demand's history, has a type of ``types`` — and, with
        ``from = "self"``, was emitted by the recipient (its SIREN), never another partner of the same role."""
        own = rule.emitted_by == "self"
        mine = f" emitted by itself ({recipient.describe()})" if own else ""
        if event is not None and topic_matches(rule.types, event.type) and (not own or recipient.emitted(event)):
            return True, f"the event is a {event.type}{mine}"
        seen = history(subject) if history is not None and subject else frozenset()
        typed = [f for f in seen if topic_matches(rule.types, f.type)]
        matching = sorted({f.type for f in typed if not own or recipient.emitted(f)})
        if matching:
            return True, f"the demand's history has {', '.join(matching)}{mine}"
        wanted = ", ".join(rule.types)
        if typed:   # only others' (from = "self"): say whose, by legal entity, never the household's data
            found = ", ".join(sorted({f.type for f in typed}))
            others = ", ".join(sorted({f.siren for f in typed}))
            return False, f"the demand's history has {found} only from others (SIREN {others}), none{mine}"
        if event is None:
            return False, f"the demand's history has no {wanted}"
        return False, f"neither the event nor the demand's history has {wanted}{mine}"
