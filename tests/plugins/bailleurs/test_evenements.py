"""``relais.bailleurs.evenements/1``: the whole attribution chain in JSON, record by record."""

from __future__ import annotations

import json

import pytest

from hub import ContractError, DecodeError, RawMessage, RecordReject
from plugins.bailleurs.codec import decode_message
from tests.factories import decision, decisions_document
from tests.plugins.bailleurs.chain import chain, document

CHAIN_TYPES = ["designation_candidat.v1", "inscription_cal.v1", "visite_proposee.v1", "visite_effectuee.v1",
               "decision_cal.v1", "refus_demandeur.v1", "bail_signe.v1", "attribution_reportee.v1"]


def decode(doc) -> list:
    body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    return list(decode_message(RawMessage.from_bytes(body, origin="chaine.json"), source="bailleurs"))


def test_every_step_of_the_chain_becomes_its_event_stamped_with_the_landlord_and_dated_by_the_fact():
    records = chain()
    doc = document(records)
    events = decode(doc)
    assert [e.type for e in events] == CHAIN_TYPES
    siren = doc["bailleur"]["siren"]
    assert {e.entity.siren for e in events} == {siren}
    assert [e.sourcemessageid for e in events] == [f"{siren}:{r['id']}" for r in records]
    assert {e.subject for e in events} == {records[0]["numero_unique"]}
    assert [e.time.date().isoformat() for e in events] == [
        "2026-10-02", "2026-10-20", "2026-10-05", "2026-10-09", "2026-10-20", "2026-10-22", "2026-11-02",
        "2026-10-20"]
    assert events[0].time.utcoffset().total_seconds() == 7200       # midnight in Paris (summer time)
    assert events[7].data.reservataire.siren == "276300019"
    assert events[5].data.offre_adaptee is False


def test_a_decision_reads_the_same_in_both_json_formats():
    """The same decision sent as decisions_cal/1 or as an evenements/1 record is the same event: same resend key,
    same payload — a landlord moving to the new format resends without duplicating."""
    d = decision()
    old = decode(decisions_document([d], bailleur_siren="276300019"))[0]
    new = decode(document([{"type": "decision_cal", **d}], bailleur_siren="276300019"))[0]
    assert (old.type, old.sourcemessageid, old.data, old.time) == (new.type, new.sourcemessageid, new.data,
                                                                   new.time)


def test_one_bad_record_is_rejected_alone_with_its_path_and_kept_replayable():
    records = chain()
    records[4] = {**records[4], "decision": "attribution_rang"}        # no rang
    records[3] = {**records[3], "date_visite": "hier"}
    items = decode(document(records))
    rejects = {i: r for i, r in enumerate(items) if isinstance(r, RecordReject)}
    assert sorted(rejects) == [3, 4]
    assert rejects[3].error.location.field == "evenements[3].date_visite"
    assert rejects[4].error.location.field == "evenements[4].rang"
    assert "required when decision is attribution_rang" in rejects[4].error.reason
    assert "hier" not in rejects[3].error.reason
    # the dead letter keeps the record as a document of its own: fixed, it decodes again
    replay = json.loads(rejects[4].replay)
    assert replay["format"] == "relais.bailleurs.evenements/1" and len(replay["evenements"]) == 1
    replay["evenements"][0]["rang"] = 2
    [fixed] = decode(replay)
    assert fixed.type == "decision_cal.v1" and fixed.data.rang == 2


@pytest.mark.parametrize("record, field, words", [
    ({"type": "visite_annulee"}, "evenements[0].type", "is not a record type; expected one of designation_candidat"),
    ({"id": "X"}, "evenements[0].type", "missing"),
    ("designation", "evenements[0]", "expected an object"),
    ({"type": "designation_candidat", "origine": "reservataire"}, "evenements[0].reservataire",
     "required when origine is reservataire"),
    ({"type": "bail_signe", "date_signature": "2026-11-02", "loyer": 512}, "evenements[0].loyer", "Extra inputs"),
    ({"type": "visite_effectuee", "id": "", "date_visite": "2026-11-02"}, "evenements[0].id", "at least 1"),
    ({"type": "inscription_cal", "date_commission": "2026-11-02", "rang_presentation": "premier"},
     "evenements[0].rang_presentation", "integer"),
])
def test_a_wrong_record_names_its_path_and_what_is_expected(record, field, words):
    base = chain()[0] if isinstance(record, dict) else None
    item = record if base is None else {**{k: base[k] for k in ("id", "numero_unique", "rpls", "commune")},
                                        "date_designation": "2026-10-02", "origine": "bailleur", **record}
    if isinstance(item, dict) and item.get("type") != "designation_candidat":
        item.pop("date_designation", None)
        item.pop("origine", None)
    [reject] = decode(document([item]))
    assert isinstance(reject, RecordReject)
    assert reject.error.location.field == field, reject.error.reason
    assert words in reject.error.reason


@pytest.mark.parametrize("doc, field", [
    ({"format": "relais.bailleurs.evenements/1", "bailleur": {"siren": "276300019", "nom": "X"}, "evenements": []},
     "evenements"),
    ({"format": "relais.bailleurs.evenements/1", "bailleur": {"siren": "276300019", "nom": "X"},
      "evenements": {"type": "bail_signe"}}, "evenements"),
    ({"format": "relais.bailleurs.evenements/1", "bailleur": {"siren": "276300018", "nom": "X"},
      "evenements": [{}]}, "bailleur.siren"),
    ({"format": "relais.bailleurs.evenements/1", "bailleur": {"siren": "276300019", "nom": "X"},
      "evenements": [{}], "decisions": []}, "decisions"),
    ({"format": "relais.bailleurs.evenements/2", "evenements": []}, "format"),
])
def test_an_unusable_document_is_refused_whole_naming_the_field(doc, field):
    with pytest.raises((DecodeError, ContractError)) as err:
        decode(doc)
    assert err.value.location.field == field
    assert err.value.location.file == "chaine.json"


def test_a_truncated_document_is_refused_whole_with_its_line():
    body = json.dumps(document(chain()), indent=1).encode()
    with pytest.raises(DecodeError, match="invalid JSON") as err:
        decode(body[: len(body) * 2 // 3])
    assert err.value.location.line > 1
