"""Who may send what and who may receive what, as a table: every role × every event kind × inside or outside the
partner's communes (receiving) or stock and name (emitting). The expectations are docs/domain.md's table written out
here independently of the shipped rules file, so that a change of the rules that breaks the law shows up as a
failing row."""

from __future__ import annotations

import pytest

from contracts import LegalEntity
from hub import Connector, PartnerRole
from hub.core.access_rules import AccessRules, DemandFact, Recipient
from hub.core.errors import ErrorLocation, ScopeRefused
from hub.core.partners import Partner
from hub.core.plugins import PluginHost
from hub.core.routing import AccessPolicy, Router
from hub.core.scopes import apply_partner_scope
from hub.testing import make_connector
from hub.testing.samples import make_event
from tests.contracts.contracts_factories import RPLS, event_types_with_examples, exemple

TYPES = event_types_with_examples()
INSIDE, OUTSIDE = frozenset({"63430"}), frozenset({"63113"})   # every example with communes names 63430
SIAO_TYPES = {"transmission_siao.v1", "preconisation_siao.v1", "inscription_syplo.v1"}
LABELS = {"label_prioritaire_pose.v1", "label_prioritaire_leve.v1"}
SEES_EVERY_DEMAND = {PartnerRole.SNE, PartnerRole.FICHIER_PARTAGE, PartnerRole.GUICHET, PartnerRole.ETAT,
                     PartnerRole.DEPARTEMENT, PartnerRole.GESTIONNAIRE, PartnerRole.PROCESSOR}
OWN = LegalEntity(siren="732829320", nom="Partenaire")
OTHER = LegalEntity(siren="552100554", nom="Un autre")
#: a demand's history: nothing, or a SIAO orientation / a DALO decision by the recipient itself or by another partner
#: of its role (another département's SIAO or COMED)
HISTORIES = {"none": frozenset(),
             "siao_orientation": frozenset({DemandFact("transmission_siao.v1", OWN.siren, "siao")}),
             "siao_orientation_by_another": frozenset({DemandFact("transmission_siao.v1", OTHER.siren, "siao")}),
             "dalo": frozenset({DemandFact("decision_dalo.v1", OWN.siren, "dalo")}),
             "dalo_by_another": frozenset({DemandFact("decision_dalo.v1", OTHER.siren, "dalo")})}


def may_receive(role: PartnerRole, event_type: str, has_communes: bool, inside: bool, history: str,
                own_event: bool = False) -> bool:
    """docs/domain.md, "Who may read nominative data"; the SIAO and the COMED for their own households only
    (``own_event``: the event itself is the recipient's)."""
    if role in SEES_EVERY_DEMAND:
        return True
    if role in (PartnerRole.BAILLEUR, PartnerRole.EPCI):        # of the territory
        return inside or not has_communes
    if role is PartnerRole.RESERVATAIRE:                          # only where it holds reservations
        return inside and has_communes
    if role is PartnerRole.SIAO:                                  # households it labelled or oriented
        return (event_type in SIAO_TYPES and own_event) or history == "siao_orientation"
    if role is PartnerRole.COMED:                                 # the DALO households it decided on
        return (event_type == "decision_dalo.v1" and own_event) or history == "dalo"
    return False                                                  # anyone else: nothing


def may_emit(role: PartnerRole, event_type: str) -> bool:
    """A SIAO posts SIAO labels and orientations, a COMED DALO decisions, a réservataire its proposals."""
    if role is PartnerRole.SIAO:
        return event_type in SIAO_TYPES | LABELS
    if role is PartnerRole.COMED:
        return event_type in {"decision_dalo.v1"} | LABELS
    if role is PartnerRole.RESERVATAIRE:
        return event_type == "designation_candidat.v1"
    return True


def _subscriber(role: PartnerRole, communes: frozenset[str]) -> Connector:
    cls = type(f"Sub_{role.value}", (Connector,), {"name": f"sub_{role.value}", "role": role,
                                                   "subscriptions": ("#",)})
    return make_connector(cls, {"communes": sorted(communes), "entity": OWN.model_dump()})


@pytest.mark.parametrize("role", list(PartnerRole), ids=lambda r: r.value)
def test_receiving(role):
    """Every event kind × inside / outside the partner's communes × the demand's history × emitted by the partner's
    legal entity or another's, for one role; every wrong row is listed."""
    wrong = []
    for place, emitter in [(p, e) for p in ("inside", "outside") for e in (OWN, OTHER)]:
        subscriber = _subscriber(role, INSIDE if place == "inside" else OUTSIDE)
        for history in sorted(HISTORIES):
            policy = AccessPolicy(history=lambda _subject, h=history: HISTORIES[h])
            router = Router({subscriber.name: subscriber}, policy)
            for event_type in TYPES:
                event = make_event(exemple(event_type), source="elsewhere", entity=emitter)
                [route] = router(event)
                # an event about no demand (a day's list of notices) has no demand history to be granted by
                expected = may_receive(role, event_type, bool(event.data.communes()), place == "inside",
                                       history if event.subject else "none", own_event=emitter is OWN)
                if route.allowed is not expected:
                    wrong.append(f"{event_type} {place} from {emitter.nom} history={history}: expected "
                                 f"{expected}, rule said {policy.verdict(subscriber, event).why}")
    assert wrong == []


@pytest.mark.parametrize("role", list(PartnerRole), ids=lambda r: r.value)
def test_reading_a_demand(role):
    """A demand read for a partner (a list's row, the information API) follows the same table: its wished communes
    stand for an event's, and only its history counts for the SIAO and the COMED."""
    rules = AccessRules.load()
    wrong = []
    for place, mine in (("inside", INSIDE), ("outside", OUTSIDE)):
        for history in sorted(HISTORIES):
            for wished in (frozenset({"63430"}), frozenset()):
                verdict = rules.evaluate_demand(Recipient("p", role, mine, siren=OWN.siren), "0630323000201G6301",
                                                wished,
                                                lambda _nu, h=history: HISTORIES[h])
                expected = may_receive(role, "", bool(wished), place == "inside", history)
                if verdict.allowed is not expected:
                    wrong.append(f"{place} history={history} communes={sorted(wished)}: expected {expected}, rule "
                                 f"said {verdict.why}")
    assert wrong == []


@pytest.mark.parametrize("role", list(PartnerRole), ids=lambda r: r.value)
def test_emitting(role):
    """Every event kind × in its own stock / outside it / in another entity's name, for one role."""
    rules = AccessRules.load()
    wrong = []
    for place in ("own_stock", "outside_stock", "in_another_name"):
        partner = Partner("p", OWN, role, "any", stock=frozenset({RPLS}) if place != "outside_stock"
                          else frozenset({"6300000000"}))
        for event_type in TYPES:
            event = make_event(exemple(event_type), source="any", entity=OTHER if place == "in_another_name" else OWN)
            checked = apply_partner_scope(partner, ("#",), event, ErrorLocation(), rules.emits.get(role))
            about_a_dwelling = getattr(event.data, "rpls", None) is not None
            expected = may_emit(role, event_type) and place != "in_another_name" and \
                not (place == "outside_stock" and about_a_dwelling)
            if (not isinstance(checked, ScopeRefused)) is not expected:
                wrong.append(f"{event_type} {place}: expected {expected}: {getattr(checked, 'reason', 'accepted')}")
            elif expected and (checked.entity != OWN or checked.id == event.id):
                wrong.append(f"{event_type} {place}: entity not stamped or id not scoped")
    assert wrong == []


@pytest.mark.parametrize("name", ["bailleurs", "dalo", "habisoft", "siao", "sne"])
def test_the_bundled_connectors_receive_and_emit_by_their_roles_row(name):
    _plugin, cls = PluginHost.load(allow=[name]).connector_classes()[name]
    subscriber = make_connector(type(f"Sub_{name}", (cls,), {"subscriptions": ("#",)}), {"communes": ["63113"]})
    policy = AccessPolicy()
    for event_type in TYPES:
        event = make_event(exemple(event_type), source="elsewhere")
        [route] = Router({subscriber.name: subscriber}, policy)(event)
        assert route.allowed is may_receive(cls.role, event_type, bool(event.data.communes()), False, "none")
        assert policy.may_emit(subscriber, event) is any(
            p.split(".")[0] == event_type.split(".")[0] or p == "#" for p in cls.emits)


def test_a_verdict_is_computed_once_per_event_and_subscriber():
    calls = []
    policy = AccessPolicy(history=lambda subject: calls.append(subject) or frozenset())
    subscriber = _subscriber(PartnerRole.SIAO, INSIDE)
    event = make_event(exemple("decision_cal.v1"), source="elsewhere")
    assert [policy.allowed(subscriber, event) for _ in range(3)] == [False] * 3
    assert len(calls) == 1


def test_a_remembered_verdict_is_never_reused_where_an_input_differs():
    """Verdicts are remembered by their inputs (every worker asks again for each event it delivers): one policy, one
    rules object, each question asked after the one it must not be confused with, on a fresh event every time (a
    new id, so that only the remembering by inputs could answer). Partners' communes, the event's communes, who
    emitted it, and a demand's history — growing, then purged — each change the answer."""
    history = {"facts": frozenset()}
    policy = AccessPolicy(history=lambda _subject: history["facts"])
    seen = iter(range(1_000))

    def asks(subscriber: Connector, event_type: str = "decision_cal.v1", entity: LegalEntity = OTHER,
             commune: str | None = None) -> bool:
        data = exemple(event_type)
        if commune is not None:
            data = data.model_copy(update={"commune": commune})
        event = make_event(data, source="elsewhere", entity=entity, id=f"event-{next(seen)}")
        return policy.allowed(subscriber, event)

    inside, outside = _subscriber(PartnerRole.RESERVATAIRE, INSIDE), _subscriber(PartnerRole.RESERVATAIRE, OUTSIDE)
    assert [asks(inside), asks(outside), asks(inside), asks(outside)] == [True, False, True, False]
    assert [asks(inside, commune="63113"), asks(outside, commune="63113")] == [False, True]
    siao = _subscriber(PartnerRole.SIAO, INSIDE)
    assert [asks(siao, "transmission_siao.v1", OWN), asks(siao, "transmission_siao.v1", OTHER)] == [True, False]
    assert asks(siao) is False
    history["facts"] = HISTORIES["siao_orientation"]       # the SIAO oriented the household since
    assert asks(siao) is True
    history["facts"] = HISTORIES["none"]                   # the demand was purged
    assert asks(siao) is False
    # the same rules for a caller without history (nothing to grant by), then one whose history grants
    event = make_event(exemple("decision_cal.v1"), source="elsewhere", entity=OTHER, id="another")
    assert AccessPolicy(policy.rules).allowed(siao, event) is False
    assert AccessPolicy(policy.rules, history=lambda _s: HISTORIES["siao_orientation"]).allowed(siao, event) is True


def test_a_territorys_rules_file_replaces_the_shipped_one(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('[[rules]]\nname = "epci_sees_all"\nroles = ["epci"]\ngrant = "all"\n', encoding="utf-8")
    policy = AccessPolicy(AccessRules.load(path))
    event = make_event(exemple("decision_cal.v1"), source="elsewhere")
    assert policy.verdict(_subscriber(PartnerRole.EPCI, OUTSIDE), event).rule == "epci_sees_all"
    verdict = policy.verdict(_subscriber(PartnerRole.SNE, OUTSIDE), event)
    assert not verdict.allowed and "no rule of" in verdict.why and "for role sne" in verdict.why


@pytest.mark.parametrize("text, message", [
    ('[[rules]]\nname = "x"\nroles = ["epci"]\ngrant = "some"\n', "rules.0: .*grant: 'some' is not one of"),
    ('[[rules]]\nname = "x"\nroles = ["mayor"]\ngrant = "all"\n', "rules.0.roles.0"),
    ('[[rules]]\nname = "x"\nroles = ["siao"]\ngrant = "demand_types"\n', "types: required"),
    ('[[rules]]\nname = "x"\nroles = ["siao"]\ngrant = "demand_types"\ntypes = ["a.*"]\nfrom = "me"\n',
     "from: 'me' is not one of anyone, self"),
    ('[[rules]]\nname = "x"\nroles = ["epci"]\ngrant = "all"\nfrom = "self"\n', "from: only for grant = demand_types"),
    ("[[rules]\n", "TOML syntax error"),
])
def test_a_wrong_rules_file_is_refused_naming_the_place(tmp_path, text, message):
    from hub.core.errors import ConfigurationError
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigurationError, match=message):
        AccessRules.load(path)


def test_without_from_a_history_rule_grants_whoever_emitted_and_a_connector_without_entity_is_its_own_inbox(tmp_path):
    """A territory's rules file written before ``from`` keeps its meaning (anyone's orientation grants); with
    ``from = "self"``, a connector with no ``entity`` configured counts what came in through itself as its own."""
    path = tmp_path / "rules.toml"
    path.write_text('[[rules]]\nname = "siao_any"\nroles = ["siao"]\ngrant = "demand_types"\n'
                    'types = ["transmission_siao.*"]\n', encoding="utf-8")
    event = make_event(exemple("decision_cal.v1"), source="elsewhere")
    by_another = AccessPolicy(AccessRules.load(path), history=lambda _s: HISTORIES["siao_orientation_by_another"])
    assert by_another.verdict(_subscriber(PartnerRole.SIAO, INSIDE), event).allowed
    cls = type("Siao", (Connector,), {"name": "siao", "role": PartnerRole.SIAO, "subscriptions": ("#",)})
    no_entity = make_connector(cls, {})
    for source, allowed in (("siao", True), ("siao_bis", False)):
        facts = frozenset({DemandFact("transmission_siao.v1", OTHER.siren, source)})
        verdict = AccessPolicy(history=lambda _s, f=facts: f).verdict(no_entity, event)
        assert verdict.allowed is allowed, verdict.why
        assert ("has transmission_siao.v1 emitted by itself (connector siao)" in verdict.why) is allowed


#: What the shipped SIAO and COMED connectors must receive, and for which households: the outcomes of the households
#: the SIAO oriented (docs/domain.md), the attribution outcomes of DALO households — nothing else.
SHIPPED_RECEIVERS = {
    "siao": ({"designation_candidat.v1", "decision_cal.v1", "bail_signe.v1", "demande_radiee.v1"},
             "siao_orientation"),
    "dalo": ({"decision_cal.v1", "refus_demandeur.v1", "bail_signe.v1", "attribution_reportee.v1",
              "demande_radiee.v1"}, "dalo"),
}


@pytest.mark.parametrize("name", sorted(SHIPPED_RECEIVERS))
def test_the_siao_and_the_comed_receive_their_households_outcomes_and_nothing_else(name):
    _plugin, cls = PluginHost.load(allow=[name]).connector_classes()[name]
    connector = make_connector(cls, {"communes": sorted(INSIDE), "entity": OWN.model_dump()})
    outcomes, own_history = SHIPPED_RECEIVERS[name]
    wrong = []
    for history in sorted(HISTORIES):
        router = Router({name: connector}, AccessPolicy(history=lambda _s, h=history: HISTORIES[h]))
        for event_type in TYPES:
            event = make_event(exemple(event_type), source="elsewhere")
            received = any(route.allowed for route in router(event))
            expected = event_type in outcomes and history == own_history
            if received is not expected:
                wrong.append(f"{name} {event_type} history={history}: expected {expected}")
    assert wrong == []


@pytest.mark.parametrize("event_type", sorted(LABELS))
@pytest.mark.parametrize("role", [PartnerRole.BAILLEUR, PartnerRole.RESERVATAIRE], ids=lambda r: r.value)
def test_a_label_naming_the_wished_communes_reaches_only_the_partners_of_those_communes(role, event_type):
    """A SIAO's label carries the household's wished communes: a landlord outside them and every réservataire
    without reservations there no longer receive it."""
    label = exemple(event_type).model_copy(update={"communes_souhaitees": ("63430",)})
    event = make_event(label, source="siao")
    for place, mine in (("inside", INSIDE), ("outside", OUTSIDE)):
        subscriber = _subscriber(role, mine)
        [route] = Router({subscriber.name: subscriber}, AccessPolicy())(event)
        assert route.allowed is (place == "inside"), f"{role.value} {place}"
