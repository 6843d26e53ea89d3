"""The COMED's format relais.dalo.decisions/1: each decision becomes a decision_dalo.v1 stamped with the COMED; every
kind of bad input is refused with where and why, a bad decision alone."""

from __future__ import annotations

import json

import pytest

from contracts.enums import SensDecisionDalo, TypologieLogementDalo
from hub import ContractError, DecodeError, RawMessage, RecordReject
from plugins.dalo.codec import decode_decisions, encode_outcome
from plugins.dalo.wire import FORMAT
from tests.contracts.contracts_factories import exemple

COMED = {"siren": "130000011", "nom": "COMED de test"}


def decision(**fields) -> dict:
    base = {"id": "D-107", "numero_unique": "0630323000201G6301", "numero_recours": "063-2026-107",
            "date_depot_recours": "2026-09-14", "date_decision": "2026-11-26", "decision": "prioritaire_et_urgent"}
    return {**base, **fields}


def doc(*decisions: dict) -> bytes:
    return json.dumps({"format": FORMAT, "comed": COMED, "decisions": list(decisions)}).encode()


def decode(body: bytes) -> list:
    return list(decode_decisions(RawMessage.from_bytes(body, origin="comed.json"), source="dalo"))


def test_each_decision_is_a_decision_dalo_of_the_comed_dated_by_the_commission():
    [event] = decode(doc(decision(typologie_dalo="45", situations=["depourvu_logement"],
                                  typologies_preconisees=["T1", "T2"], date_limite_relogement="2027-02-26")))
    assert event.type == "decision_dalo.v1" and event.entity.siren == COMED["siren"]
    assert event.data.decision is SensDecisionDalo.PRIORITAIRE_ET_URGENT
    assert event.data.typologie_dalo is TypologieLogementDalo.T1_T2_ADAPTE
    assert event.sourcemessageid == f"{COMED['siren']}:D-107" and event.time.date().isoformat() == "2026-11-26"
    assert "id" not in event.data.model_dump()


@pytest.mark.parametrize("sens", ["prioritaire_et_urgent", "rejet", "sans_objet", "reorientation_hebergement",
                                  "irrecevable"])
def test_every_decision_of_the_commission_is_accepted(sens):
    [event] = decode(doc(decision(decision=sens)))
    assert event.data.decision.value == sens


@pytest.mark.parametrize("fields, field, reason", [
    ({"date_decision": "2026-09-01"}, "decisions[0]", "date_decision: earlier than date_depot_recours"),
    ({"decision": "rejet", "date_limite_relogement": "2027-01-01"}, "decisions[0]",
     "date_limite_relogement: only for a prioritaire_et_urgent decision"),
    ({"typologie_dalo": "07"}, "decisions[0].typologie_dalo", ""),          # not in ListeTypologieLogementDalo
    ({"typologie_dalo": 41}, "decisions[0].typologie_dalo", ""),            # wrong-typed
    ({"decision": "favorable"}, "decisions[0].decision", ""),
    ({"situations": ["sans_abri"]}, "decisions[0].situations[0]", ""),
    ({"numero_recours": "'; DROP TABLE events; --"}, "decisions[0].numero_recours", ""),   # hostile
    ({"id": ""}, "decisions[0].id", ""),
    ({"date_decision": None}, "decisions[0].date_decision", ""),
    ({"motif": "texte libre"}, "decisions[0].motif", ""),                   # unknown field
])
def test_a_wrong_decision_is_rejected_alone_naming_the_field(fields, field, reason):
    items = decode(doc(decision(id="D-1", numero_unique="0630323000202G6301"), decision(**fields)))
    [reject] = [i for i in items if isinstance(i, RecordReject)]
    assert len(items) == 2 and isinstance(reject.error, ContractError)
    fields_named = [p["field"] for p in reject.error.problems]
    assert any(f.replace("decisions[1]", "decisions[0]").startswith(field) for f in fields_named), fields_named
    assert reason in reject.error.reason
    assert [d["id"] for d in json.loads(reject.replay)["decisions"]] == [decision(**fields)["id"]]


@pytest.mark.parametrize("body, field", [
    (doc(decision())[:40], None),                                                       # truncated
    (b"\x00\x01binary", None),                                                          # malformed
    (json.dumps({"format": "relais.siao.labels/1", "decisions": [{}]}).encode(), "format"),
    (json.dumps({"format": FORMAT, "comed": COMED, "decisions": "all"}).encode(), "decisions"),
    (json.dumps(None).encode(), "$"),
])
def test_an_unusable_document_is_refused_whole(body, field):
    with pytest.raises(DecodeError) as err:
        decode(body)
    assert (err.value.location.file, err.value.location.field) == ("comed.json", field)


def test_a_comed_without_a_valid_entity_is_refused_naming_it():
    body = json.dumps({"format": FORMAT, "comed": {"siren": "130000011"}, "decisions": [decision()]}).encode()
    with pytest.raises(ContractError) as err:
        decode(body)
    assert err.value.problems[0]["field"] == "comed.nom"


def test_an_outcome_is_a_notice_for_the_comed():
    from hub.testing.samples import make_event
    event = make_event(exemple("bail_signe.v1"), source="bailleurs")
    notice = json.loads(encode_outcome(event).body)
    assert (notice["format"], notice["type"], notice["data"]["rpls"]) == \
        ("relais.dalo.issues/1", "bail_signe.v1", event.data.rpls)
