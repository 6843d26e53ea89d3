"""What a landlord may emit through this connector: the whole chain by default (its role has no ``[emits]`` row in
the access rules, so its connector's ``emits`` apply), nothing else; ``relais partners set-emits`` narrows it."""

from __future__ import annotations

import pytest

from contracts import LegalEntity
from hub import PartnerRole
from hub.core.access_rules import AccessRules
from hub.core.errors import ErrorLocation, ScopeRefused
from hub.core.partners import Partner
from hub.core.scopes import apply_partner_scope
from hub.testing.samples import make_event
from plugins.bailleurs.plugin import BailleursConnector
from tests.contracts.contracts_factories import RPLS, event_types_with_examples, exemple

OWN = LegalEntity(siren="276300019", nom="Office de démonstration")
CHAIN = {"designation_candidat.v1", "inscription_cal.v1", "visite_proposee.v1", "visite_effectuee.v1",
         "decision_cal.v1", "refus_demandeur.v1", "bail_signe.v1", "attribution_reportee.v1"}


def accepted(partner: Partner, event_type: str) -> bool:
    rules = AccessRules.load()
    event = make_event(exemple(event_type), source="bailleurs", entity=OWN)
    checked = apply_partner_scope(partner, BailleursConnector.emits, event, ErrorLocation(),
                                  rules.emits.get(partner.role))
    return not isinstance(checked, ScopeRefused)


def test_a_landlord_emits_the_whole_chain_and_nothing_else():
    landlord = Partner("ophd", OWN, PartnerRole.BAILLEUR, "bailleurs", stock=frozenset({RPLS}))
    assert {t for t in event_types_with_examples() if accepted(landlord, t)} == CHAIN


@pytest.mark.parametrize("event_type", sorted(CHAIN - {"decision_cal.v1"}))
def test_a_landlord_narrowed_to_decisions_is_refused_the_rest_of_the_chain(event_type):
    narrowed = Partner("ophd", OWN, PartnerRole.BAILLEUR, "bailleurs", emits=("decision_cal.*",))
    assert accepted(narrowed, "decision_cal.v1")
    assert not accepted(narrowed, event_type)
