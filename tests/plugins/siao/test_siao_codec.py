"""The SIAO's format relais.siao.labels/1: each record's facts become their events; every kind of bad input —
malformed, truncated, wrong-typed, hostile — is refused with where and why, a bad record alone."""

from __future__ import annotations

import json

import pytest

from contracts.events import (
    LabelPrioritaireLeve,
    LabelPrioritairePose,
    TransmissionSiao,
)
from hub import ContractError, DecodeError, RawMessage, RecordReject
from plugins.siao.codec import decode_labels, encode_outcome
from plugins.siao.wire import FORMAT
from tests.contracts.contracts_factories import exemple
from tests.factories import numero_unique
from tests.plugins.partners_support import AILLEURS, THIERS

SIAO = {"siren": "130000003", "nom": "SIAO de test"}


def record(**parts) -> dict:
    base = {"id": "R1", "numero_unique": "0630323000201G6301", "communes_souhaitees": [THIERS],
            "demande_siao": {"reference": "SIAO63-42", "date_demande": "2026-10-02"}}
    return {**base, **parts}


def doc(*records: dict, **header) -> bytes:
    return json.dumps({"format": FORMAT, "siao": SIAO, "records": list(records), **header}).encode()


def decode(body: bytes) -> list:
    return list(decode_labels(RawMessage.from_bytes(body, origin="siao.json"), source="siao"))


def test_a_record_gives_one_event_per_fact_stamped_with_the_siao_and_dated_by_the_fact():
    events = decode(doc(record(
        label={"fondement": "l441_1", "critere": "sans_logement", "date_decision": "2026-11-25"},
        preconisation={"type": "pension_de_famille", "date": "2026-11-20", "typologies": ["T1"]},
        syplo={"statut": "INSCRIT", "date": "2026-11-21", "numero": "SY-1"},
        levee={"fondement": "siao", "date": "2026-11-22", "motif": "situation_resolue"})))
    assert [e.type for e in events] == ["transmission_siao.v1", "label_prioritaire_pose.v1",
                                        "preconisation_siao.v1", "inscription_syplo.v1", "label_prioritaire_leve.v1"]
    assert {e.entity.siren for e in events} == {SIAO["siren"]}
    transmission, pose, _pre, syplo, levee = events
    assert isinstance(transmission.data, TransmissionSiao) and transmission.data.reference_siao == "SIAO63-42"
    assert isinstance(pose.data, LabelPrioritairePose) and pose.data.nature.value == "l441_1_sans_logement"
    assert pose.data.emetteur.siren == SIAO["siren"] and pose.data.communes() == frozenset({THIERS})
    assert isinstance(levee.data, LabelPrioritaireLeve) and levee.data.nature.value == "siao"
    assert syplo.data.numero_syplo == "SY-1" and syplo.time.date().isoformat() == "2026-11-21"
    assert pose.sourcemessageid == f"{SIAO['siren']}:R1:label"


def test_the_records_of_one_siao_demand_journal_it_once():
    again = record(id="R2", label={"fondement": "pdalhpd", "date_decision": "2026-11-25"})
    types = [e.type for e in decode(doc(record(), again))]
    assert types == ["transmission_siao.v1", "label_prioritaire_pose.v1"]


def test_one_bad_record_is_rejected_alone_with_its_path_and_a_replayable_document():
    bad = record(id="R2", numero_unique=numero_unique(), syplo={"statut": "INSCRIT", "date": "2026-13-40"})
    items = decode(doc(record(), bad, record(id="R3", numero_unique=numero_unique())))
    [reject] = [i for i in items if isinstance(i, RecordReject)]
    assert [i.type for i in items if not isinstance(i, RecordReject)] == ["transmission_siao.v1"] * 2
    assert reject.error.location.field == "records[1].syplo.date" and reject.error.location.record == 1
    assert [r["id"] for r in json.loads(reject.replay)["records"]] == ["R2"]
    assert json.loads(reject.replay)["siao"] == SIAO


@pytest.mark.parametrize("parts, field, reason", [
    ({"syplo": {"statut": "NON_INSCRIT", "date": "2026-11-01", "numero": "SY-9"}}, "records[0].syplo",
     "numero: only when statut is INSCRIT"),
    ({"label": {"fondement": "l441_1", "date_decision": "2026-11-01"}}, "records[0].label",
     "critere: required when fondement is l441_1"),
    ({"label": {"fondement": "siao", "critere": "handicap", "date_decision": "2026-11-01"}}, "records[0].label",
     "critere: required when fondement is l441_1, and only then"),
    ({"label": {"fondement": "dalo", "date_decision": "2026-11-01"}}, "records[0].label.fondement", "'siao'"),
    ({"label": {"fondement": "siao", "date_decision": "2026-11-02", "date_fin_validite": "2026-11-01"}},
     "records[0].label", "date_fin_validite: earlier than date_decision"),
    ({"numero_unique": "12345"}, "records[0].numero_unique", ""),
    ({"communes_souhaitees": "63430"}, "records[0].communes_souhaitees", ""),                    # wrong-typed
    ({"communes_souhaitees": ["Thiers"]}, "records[0].communes_souhaitees.0", ""),
    ({"demande_siao": None}, "records[0].demande_siao", ""),
    ({"preconisation": {"type": "logement_ordinaire", "date": 20261101}}, "records[0].preconisation.date", ""),
    ({"syplo": {"statut": "inscrit", "date": "2026-11-01"}}, "records[0].syplo.statut", "INSCRIT"),
    ({"label": {"fondement": "siao", "date_decision": "2026-11-01", "extra": 1}}, "records[0].label.extra", ""),
    ({"id": "x" * 5000}, "records[0].id", ""),                                                 # oversized id
    ({"id": "../../etc/passwd"}, "records[0].id", ""),                                         # hostile id
])
def test_a_wrong_record_names_the_field_and_the_rule(parts, field, reason):
    [reject] = decode(doc(record(**parts)))
    assert isinstance(reject, RecordReject) and isinstance(reject.error, ContractError)
    fields = [p["field"] for p in reject.error.problems]
    assert any(f.startswith(field) for f in fields), fields
    assert reason in reject.error.reason


@pytest.mark.parametrize("body, field, line", [
    (doc(record())[:57], None, 1),                                                     # truncated
    (b'{"format": "relais.siao.labels/1",\n "records": [,]}', None, 2),                # malformed
    (b"\xff\xfe{}", None, None),                                                       # not UTF-8
    (json.dumps({"format": "relais.bailleurs.decisions_cal/1", "records": [{}]}).encode(), "format", None),
    (json.dumps({"format": {"$gt": ""}, "records": [{}]}).encode(), "format", None),   # hostile: not a string
    (json.dumps(["records"]).encode(), "$", None),
    (json.dumps({"format": FORMAT, "siao": SIAO, "records": {}}).encode(), "records", None),
    (json.dumps({"format": FORMAT, "siao": SIAO, "records": []}).encode(), "records", None),
    (doc(record(), correlation_id=["x"]), "correlation_id", None),
    (b'{"format": "relais.siao.labels/1", "records": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", None, None),
])
def test_an_unusable_document_is_refused_whole_with_its_location(body, field, line):
    with pytest.raises(DecodeError) as err:
        decode(body)
    assert err.value.location.file == "siao.json"
    assert err.value.location.field == field
    if line:
        assert err.value.location.line == line


def test_a_wrong_siao_entity_is_refused_naming_it():
    body = json.dumps({"format": FORMAT, "siao": {"siren": "130000004", "nom": "X"}, "records": [record()]})
    with pytest.raises(ContractError) as err:
        decode(body.encode())
    assert err.value.problems[0]["field"] == "siao.siren"


def test_a_record_that_is_not_an_object_is_rejected_alone():
    items = decode(doc(record(), "R2", 7))
    rejects = [i for i in items if isinstance(i, RecordReject)]
    assert [r.error.location.field for r in rejects] == ["records[1]", "records[2]"]
    assert "expected an object, got str" in rejects[0].error.reason


def test_text_that_is_not_unicode_is_kept_escaped_in_the_dead_letter():
    body = doc(record(id="R\ud800"))
    [reject] = decode(body)
    assert isinstance(reject, RecordReject) and b"\\ud800" in reject.raw


def test_an_outcome_is_a_notice_without_personal_free_text():
    from hub.testing.samples import make_event
    event = make_event(exemple("refus_demandeur.v1"), source="bailleurs")
    message = encode_outcome(event)
    notice = json.loads(message.body)
    assert (notice["format"], notice["type"], notice["numero_unique"]) == \
        ("relais.siao.issues/1", "refus_demandeur.v1", event.subject)
    assert "precision" not in notice["data"] and notice["data"]["motif"] == event.data.motif.value
    assert message.filename == f"{event.id}.json"


def test_a_label_outside_the_wished_communes_is_not_for_them():
    [_transmission, pose] = decode(doc(record(communes_souhaitees=[AILLEURS],
                                              label={"fondement": "siao", "date_decision": "2026-11-25"})))
    assert pose.data.communes() == frozenset({AILLEURS})
