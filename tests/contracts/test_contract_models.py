"""Behaviour of the models: envelope consistency, subject and communes for the access policy, labels, the demand's
helpers, and the registry's upcasting (the versioning policy at work)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from pydantic import ValidationError

from contracts import (
    REGISTRY, DecisionCal, Demande, DemandeModifiee, Envelope, EventRegistry, LegalEntity, TypeDecisionCal,
    UnknownEventType, champs_modifies,
)
from contracts import enums
from contracts.demande import champs_demande, check_champ_demande
from contracts.enums import CodedEnum
from tests.contracts.contracts_factories import COMMUNES_TDM, NUMERO, demande_exemple, exemple

ENTITY = LegalEntity(siren="216304303", nom="CC Thiers Dore et Montagne")


#: Events about no single demand (a day's list): no subject, so no per-demand ordering and no demand to purge.
ABOUT_NO_DEMAND = {"avis_renouvellement_liste.v1"}


@pytest.mark.parametrize("event_type", REGISTRY.types())
def test_subject_is_the_numero_unique_and_communes_are_insee_codes(event_type):
    payload = exemple(event_type)
    expected = None if event_type in ABOUT_NO_DEMAND else NUMERO
    assert payload.subject() == expected
    assert REGISTRY.build(payload, source="test", entity=ENTITY).subject == expected
    assert all(len(c) == 5 for c in payload.communes())


def test_communes_known_from_demands_and_dwellings():
    assert exemple("demande_enregistree.v1").communes() == frozenset(COMMUNES_TDM)
    assert exemple("decision_cal.v1").communes() == {"63430"}
    assert exemple("attribution_reportee.v1").communes() == {"63430"}
    assert exemple("demande_radiee.v1").communes() == {"63430"}
    assert exemple("piece_deposee.v1").communes() == frozenset()


def test_envelope_type_must_match_payload():
    payload = exemple("decision_cal.v1")
    with pytest.raises(ValidationError, match="does not match"):
        Envelope[DecisionCal](type="bail_signe.v1", source="x", entity=ENTITY, data=payload)
    envelope = REGISTRY.build(payload, source="bailleurs", entity=ENTITY, sourcemessageid="m1")
    raw = json.loads(envelope.model_dump_json())
    raw["type"] = "decision_cal.v2"
    with pytest.raises(UnknownEventType):
        REGISTRY.parse(raw)


def test_decision_cal_keeps_its_v1_fields_and_rules():
    assert TypeDecisionCal.ATTRIBUTION == "attribution" and TypeDecisionCal("irrecevabilite").label
    fields = set(DecisionCal.model_fields)
    assert {"numero_unique", "rpls", "commune", "date_commission", "decision", "rang", "condition_suspensive",
            "motif"} <= fields
    base = dict(numero_unique=NUMERO, rpls="0000421337", commune="63430", date_commission=date(2024, 1, 9))
    with pytest.raises(ValidationError, match="rang: required"):
        DecisionCal(**base, decision=TypeDecisionCal.ATTRIBUTION_RANG)
    with pytest.raises(ValidationError, match="motif: required"):
        DecisionCal(**base, decision=TypeDecisionCal.NON_ATTRIBUTION)


def test_every_coded_value_has_a_label():
    for name in enums.__all__:
        cls = getattr(enums, name)
        if isinstance(cls, type) and issubclass(cls, CodedEnum) and cls is not CodedEnum:
            assert list(cls), name
            for member in cls:
                assert member.label and cls.from_label(member.label.upper()) is member
                assert str(member) == member.value
    schema = REGISTRY.envelope_model("demande_radiee.v1").model_json_schema()
    assert schema["$defs"]["MotifRadiation"]["x-labels"]["fusion"].startswith("f)")
    assert enums.MotifRadiation.ABSENCE_REPONSE.code_sne == "RADCON" and enums.MotifRadiation.FUSION.code_sne is None


def test_demande_helpers():
    avant = demande_exemple()
    apres = avant.model_copy(update={
        "souhaits": avant.souhaits.model_copy(update={"communes": ("63430",)}),
        "personnes_a_charge": (avant.personnes_a_charge[0],
                               avant.personnes_a_charge[1].model_copy(update={"prenom": "Zoé"})),
    })
    changed = champs_modifies(avant, apres)
    assert changed == ("personnes_a_charge[1].prenom", "souhaits.communes")
    for path in changed:
        check_champ_demande(path)
    assert avant.taille_menage() == 4 and not avant.est_mutation()
    assert "demandeur.ressources.mensuelles.code" in champs_demande()
    event = DemandeModifiee(numero_unique=NUMERO, demande=apres, champs_modifies=changed,
                            auteur=enums.AuteurModification.DEMANDEUR, date_modification=date(2024, 5, 2))
    assert event.communes() == {"63430"}
    with pytest.raises(ValidationError, match="has no field 'inconnu'"):
        DemandeModifiee(numero_unique=NUMERO, demande=apres, champs_modifies=("demandeur.inconnu",),
                        auteur=enums.AuteurModification.DEMANDEUR, date_modification=date(2024, 5, 2))
    with pytest.raises(ValidationError, match="guichet: required"):
        DemandeModifiee(numero_unique=NUMERO, demande=apres, champs_modifies=(),
                        auteur=enums.AuteurModification.GUICHET, date_modification=date(2024, 5, 2))


def test_demande_rules():
    demande = demande_exemple()
    with pytest.raises(ValidationError, match="only for a current social tenant"):
        Demande.model_validate({**json.loads(demande.model_dump_json()), "mutation": {"rpls": "0000000001"}})
    with pytest.raises(ValidationError, match="earlier than date_depot"):
        demande.model_validate({**demande.model_dump(), "date_enregistrement": date(2000, 1, 1)})
    with pytest.raises(ValidationError, match="extra"):
        Demande.model_validate({**json.loads(demande.model_dump_json()), "inconnu": 1})


def test_the_public_sne_sample_shape_maps():
    # numUnique and codes of the public SNE sample (openfisca-demande-logement-social), with synthetic people
    sample = demande_exemple().model_copy(update={"motifs": (), "souhaits": demande_exemple().souhaits.model_copy(
        update={"communes": ()})})
    event = REGISTRY.model_for("demande_enregistree.v1")(
        numero_unique="1110318016982G1104", demande=sample, date_enregistrement=date(2018, 3, 15), guichet="G1104")
    assert event.communes() == frozenset()


def test_upcaster_reads_an_old_version_as_the_current_one():
    registry = EventRegistry()
    registry.register(DecisionCal)

    def v0_to_v1(data):
        data = dict(data)
        data["commune"] = data.pop("code_commune")
        return data

    registry.register_upcaster("decision_cal.v0", "decision_cal.v1", v0_to_v1)
    v1 = json.loads(REGISTRY.build(exemple("decision_cal.v1"), source="b", entity=ENTITY).model_dump_json())
    old = {**v1, "type": "decision_cal.v0", "data": {**{k: v for k, v in v1["data"].items() if k != "commune"},
                                                     "code_commune": "63430"}}
    parsed = registry.parse(old)
    assert parsed.type == "decision_cal.v1" and parsed.data.commune == "63430"
    assert registry.current_type("decision_cal.v0") == "decision_cal.v1" and registry.current_type("x.v1") is None


def test_a_new_envelope_id_is_a_random_uuid_in_canonical_text() -> None:
    import uuid

    from contracts.envelope import _new_id
    ids = [_new_id() for _ in range(2_000)]
    assert len(set(ids)) == len(ids)
    for text in ids:
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4 and parsed.variant == uuid.RFC_4122


def test_a_forked_process_does_not_hand_out_the_ids_its_parent_made_ahead() -> None:
    import os

    from contracts.envelope import _new_id
    _new_id()   # the parent now holds ids made ahead
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:   # the child: its first id, then out at once (no pytest teardown in the child)
        os.write(write, _new_id().encode())
        os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    child_first = os.read(read, 64).decode()
    os.close(read)
    parent_next = [_new_id() for _ in range(256)]
    assert child_first and child_first not in parent_next
