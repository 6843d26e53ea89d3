"""The bailleurs' JSON format: good decisions decode; every kind of bad input is refused with where and why."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from contracts import DecisionCal
from hub import DecodeError, RawMessage, RecordReject
from plugins.bailleurs.codec import FORMAT, decode_decisions
from plugins.bailleurs.schema import inbound_schema
from tests.factories import decision, decisions_document


def decode(body: bytes):
    return list(decode_decisions(RawMessage.from_bytes(body, origin="cal.json"), source="bailleurs"))


def test_each_decision_becomes_an_envelope_stamped_with_the_landlord():
    doc = decisions_document([decision(), decision(decision="attribution_rang", rang=3)])
    events = decode(json.dumps(doc).encode())
    assert [e.type for e in events] == ["decision_cal.v1"] * 2
    assert all(isinstance(e.data, DecisionCal) for e in events)
    assert events[1].data.rang == 3
    assert {e.entity.siren for e in events} == {doc["bailleur"]["siren"]}
    assert events[0].sourcemessageid == f"{doc['bailleur']['siren']}:{doc['decisions'][0]['id']}"
    assert events[0].subject == doc["decisions"][0]["numero_unique"]
    assert events[0].time.date().isoformat() == doc["decisions"][0]["date_commission"]


def test_one_bad_decision_is_rejected_with_its_path_and_the_others_go_through():
    doc = decisions_document([decision(), decision(decision="attribution_rang"), decision()])
    items = decode(json.dumps(doc).encode())
    rejects = [i for i in items if isinstance(i, RecordReject)]
    assert len(items) == 3 and len(rejects) == 1
    assert rejects[0].error.location.field.startswith("decisions[1]")
    assert "rang" in rejects[0].error.reason


@pytest.mark.parametrize("body, field, line", [
    (b'{"format": "relais.bailleurs.decisions_cal/1", "decisions": [\n{"id": 1,}', None, 2),
    (json.dumps({"format": "autre/2", "decisions": []}).encode(), "format", None),
    (json.dumps([1, 2]).encode(), "$", None),
    (json.dumps({"format": FORMAT, "bailleur": {"siren": "123", "nom": "X"}, "decisions": [{}]}).encode(),
     "bailleur.siren", None),
    (json.dumps({"format": FORMAT, "bailleur": {"siren": "276300019", "nom": "X"}, "decisions": []}).encode(),
     "decisions", None),
])
def test_an_unusable_document_is_refused_whole_with_its_location(body, field, line):
    with pytest.raises(Exception) as err:
        decode(body)
    assert err.value.location.file == "cal.json"
    if field:
        assert err.value.location.field == field
    if line:
        assert err.value.location.line == line


def test_truncated_and_non_utf8_files_are_refused_with_a_reason():
    doc = json.dumps(decisions_document([decision()])).encode()
    with pytest.raises(DecodeError, match="invalid JSON"):
        decode(doc[: len(doc) // 2])
    with pytest.raises(DecodeError, match="UTF-8"):
        decode(doc.replace(b'"attribution"', b'"attribution\xff"'))


def test_a_wrongly_typed_field_names_its_path_without_echoing_the_value():
    doc = decisions_document([decision(date_commission="le vingt novembre")])
    [reject] = decode(json.dumps(doc).encode())
    assert isinstance(reject, RecordReject)
    assert reject.error.location.field == "decisions[0].date_commission"
    assert "le vingt novembre" not in reject.error.reason


def test_a_decision_without_the_landlords_id_is_refused():
    d = decision()
    del d["id"]
    [reject] = decode(json.dumps(decisions_document([d])).encode())
    assert reject.error.location.field == "decisions[0].id"


def test_the_published_document_schema_accepts_the_examples_and_refuses_a_decision_without_id():
    """The schema the gateway publishes for the JSON formats (OpenAPI request body) says what the decoder
    accepts."""
    schema = inbound_schema()
    examples = sorted((Path(__file__).resolve().parents[3] / "examples" / "inbox" / "bailleurs").glob("*.json"))
    assert examples
    for path in examples:
        jsonschema.validate(json.loads(path.read_text(encoding="utf-8")), schema)
    broken = json.loads(next(p for p in examples if p.name.startswith("cal-")).read_text(encoding="utf-8"))
    del broken["decisions"][0]["id"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, schema)


def test_a_decision_without_its_id_is_rejected_naming_the_record_and_the_field():
    without_id = decision()
    del without_id["id"]
    items = decode(json.dumps(decisions_document([decision(), without_id])).encode())
    [reject] = [i for i in items if isinstance(i, RecordReject)]
    assert (reject.error.location.field, reject.error.location.record) == ("decisions[1].id", 1)


@pytest.mark.parametrize("overrides", [
    {},
    {"decision": "attribution_rang", "rang": 2},
    {"decision": "non_attribution", "motif": "Typologie inadaptée"},
    {"date_commission": "2026-11-20T00:00:00"},   # not plain ISO date text: the two passes take it
    {"date_commission": "2026-W47-5"},            # ISO text Python reads as a date, pydantic does not
    {"decision": "attribution_rang"},             # refused: rang missing
    {"rang": 11},                                 # refused: rang out of range
    {"numero_unique": "063112600001G6301"},       # refused: 17 characters
    {"date_commission": "2026-02-30"},            # refused: no such day
])
def test_the_one_pass_gives_what_the_two_passes_gave(overrides):
    """The envelope validated in one pass equals the payload validated then wrapped (the id aside), and a refused
    decision is refused with the two passes' own message, naming the decision's field."""
    from datetime import datetime

    from pydantic import ValidationError

    from contracts import REGISTRY, LegalEntity
    from hub import ContractError, ErrorLocation
    from plugins.bailleurs.records import PARIS
    doc = decisions_document([decision(**overrides)])
    (item,) = decode(json.dumps(doc).encode())
    fields = {k: v for k, v in doc["decisions"][0].items() if k != "id"}
    try:
        data = DecisionCal.model_validate(fields)
        expected = REGISTRY.build(data, source="bailleurs", entity=LegalEntity.model_validate(doc["bailleur"]),
                                  time=datetime.combine(data.date_commission, datetime.min.time(), tzinfo=PARIS),
                                  sourcemessageid=f"{doc['bailleur']['siren']}:{doc['decisions'][0]['id']}",
                                  correlationid=None)
    except ValidationError as exc:
        error = ContractError.from_validation(exc, location=ErrorLocation(file="cal.json", record=0),
                                              prefix="decisions[0]")
        assert isinstance(item, RecordReject)
        assert (item.error.reason, item.error.location) == (error.reason, error.location)
        return
    assert item.model_dump_json(exclude={"id"}) == expected.model_dump_json(exclude={"id"})
    assert item.model_fields_set == expected.model_fields_set
