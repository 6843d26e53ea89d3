"""Bad inbound Habisoft documents: precise reasons and locations; one bad evenement is rejected alone; hostile XML
is refused before anything is decoded."""

from __future__ import annotations

from pathlib import Path

import pytest
from habisoft_support import FIXTURES, make_habisoft

from hub import ContractError, DecodeError, InputTooLarge, RawMessage, RecordReject

GOOD = (FIXTURES / "decision_cal_attribution.xml").read_bytes()
POULIDOR = (FIXTURES / "decision_cal_poulidor.xml").read_bytes()


def batch(*names: str) -> bytes:
    """A ``fichierPartage`` holding the golden events ``names`` (the batch form of the format)."""
    from lxml import etree

    from habisoft_golden import load_expected
    from plugins.habisoft.codec import new_document, write_evenement

    events = [load_expected(name) for name in names]
    root = new_document(events[0].time)
    for event in events:
        write_evenement(root, event)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


BATCH = batch("decision_cal_attribution", "bail_signe", "visite_proposee")


def decode(connector, body: bytes, origin: str = "in.xml") -> list:
    return list(connector.decode(RawMessage.from_bytes(body, origin=origin)))


def _line_of(body: bytes, needle: bytes) -> int:
    return body[: body.index(needle)].count(b"\n") + 1


def _evenement(body: bytes) -> bytes:
    return body[body.index(b"  <hab:evenement"): body.index(b"</hab:evenement>") + len(b"</hab:evenement>")]


def test_malformed(habisoft) -> None:
    body = GOOD.replace(b"</hab:rpls>", b"</hab:rpl>")
    with pytest.raises(DecodeError, match="malformed XML") as info:
        decode(habisoft, body, "m.xml")
    assert (info.value.location.file, info.value.location.line) == ("m.xml", _line_of(body, b"</hab:rpl>"))


def test_truncated(habisoft) -> None:
    with pytest.raises(DecodeError, match="truncated XML"):
        decode(habisoft, GOOD[: GOOD.index(b"<hab:decision ")])


@pytest.mark.parametrize("body, root", [(GOOD, "evenement"), (BATCH, "fichierPartage")], ids=["unit", "batch"])
def test_wrong_namespace(habisoft, body: bytes, root: str) -> None:
    with pytest.raises(DecodeError, match=f"wrong namespace for root element '{root}'.*urn:relais:habisoft:2"):
        decode(habisoft, body.replace(b"urn:relais:habisoft:1", b"urn:relais:habisoft:2"))


def test_wrong_root(habisoft) -> None:
    with pytest.raises(DecodeError, match="unexpected root element.*expected .*fichierPartage.* or .*evenement"):
        decode(habisoft, b'<hab:decisionCal xmlns:hab="urn:relais:habisoft:1"/>')


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE hab:fichierPartage [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE z [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>',
    b'<!DOCTYPE hab:fichierPartage PUBLIC "-//X//DTD" "http://127.0.0.1:9/h.dtd">',
], ids=["xxe", "billion-laughs", "external-dtd"])
def test_hostile(habisoft, doctype: bytes) -> None:
    with pytest.raises(DecodeError, match="DOCTYPE") as info:
        decode(habisoft, GOOD.replace(b"?>\n", b"?>\n" + doctype + b"\n", 1), "h.xml")
    assert info.value.location.line == 2


def test_schema_location_hint(habisoft) -> None:
    body = BATCH.replace(b'version="1.0">', b'version="1.0" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                                            b'xsi:noNamespaceSchemaLocation="http://127.0.0.1:9/x.xsd">', 1)
    with pytest.raises(DecodeError, match="noNamespaceSchemaLocation refused"):
        decode(habisoft, body)


def test_size_limit(tmp_path: Path) -> None:
    with pytest.raises(InputTooLarge):
        decode(make_habisoft(tmp_path, max_message_bytes=200), GOOD)


def test_one_bad_evenement_among_good_ones(habisoft) -> None:
    body = BATCH.replace(b'<hab:decision code="attribution"/>', b'<hab:decision code="tirage_au_sort"/>')
    body = batch("bail_signe") .replace(b"</hab:fichierPartage>", b"") + _evenement(body) + \
        b"\n" + _evenement(batch("visite_proposee")) + b"\n</hab:fichierPartage>\n"
    results = decode(habisoft, body, "mix.xml")
    assert [isinstance(r, RecordReject) for r in results] == [False, True, False]
    error = results[1].error
    assert (error.location.record, error.location.line) == (2, _line_of(body, b"tirage_au_sort"))
    assert error.location.field == "fichierPartage/evenement[2]/decisionCal/decision"
    assert "'tirage_au_sort' is not an element of the set" in error.reason
    assert results[1].raw.lstrip().startswith(b"<hab:evenement")
    # its dead letter keeps a document of its own: the header and that evenement, which replays alone
    alone = results[1].replay
    assert alone.count(b"<hab:evenement ") == 1 and b"tirage_au_sort" in alone and len(alone) < len(body)
    [again] = decode(habisoft, alone, "alone.xml")
    assert isinstance(again, RecordReject) and "'tirage_au_sort' is not an element of the set" in again.error.reason
    [fixed] = decode(habisoft, alone.replace(b"tirage_au_sort", b"attribution"), "fixed.xml")
    assert fixed.type == "decision_cal.v1"


def test_invalid_unit_message_is_one_rejected_record(habisoft) -> None:
    body = GOOD.replace(b'<hab:decision code="attribution"/>', b'<hab:decision code="tirage_au_sort"/>')
    [reject] = decode(habisoft, body, "u.xml")
    assert reject.error.location.field == "evenement/decisionCal/decision"
    assert reject.error.location.line == _line_of(body, b"tirage_au_sort")


def test_header_problem_rejects_the_document(habisoft) -> None:
    with pytest.raises(DecodeError, match="habisoft.xsd") as info:
        decode(habisoft, BATCH.replace(b'version="1.0"', b'version="2.0"'))
    assert info.value.location.field == "fichierPartage"


def test_subject_must_match_the_content(habisoft) -> None:
    first = GOOD.index(b"<hab:numeroUnique>") + len(b"<hab:numeroUnique>")
    body = GOOD[:first] + b"0631299999999G6301" + GOOD[first + 18:]
    [reject] = decode(habisoft, body)
    assert "numeroUnique differs" in reject.error.reason
    assert reject.error.location.field == "evenement/numeroUnique"


def test_contract_violation(habisoft) -> None:
    """What the XSD does not check (a decision's coherence) is the contract's, with the payload path."""
    body = GOOD.replace(b'<hab:decision code="attribution"/>', b'<hab:decision code="non_attribution"/>')
    [reject] = decode(habisoft, body)
    assert isinstance(reject.error, ContractError)
    assert reject.error.location.field == "data"
    assert "motif: required when decision is non_attribution" in reject.error.reason


def test_bad_identifier_is_a_contract_error_with_its_path(habisoft) -> None:
    body = GOOD.replace(b"<hab:commune>", b"<hab:commune>9", 1)
    [reject] = decode(habisoft, body)
    assert reject.error.location.field == "data.commune"


def test_poulidor_flag_on_the_wrong_decision(habisoft) -> None:
    body = GOOD.replace(b"</hab:decisionCal>",
                        b"</hab:decisionCal>\n    <hab:demandePoulidor>true</hab:demandePoulidor>")
    [reject] = decode(habisoft, body)
    assert "demandePoulidor is true but" in reject.error.reason
    assert reject.error.location.field == "evenement/demandePoulidor"


def test_poulidor_flag_is_accepted_where_it_belongs(habisoft) -> None:
    [event] = decode(habisoft, POULIDOR)
    assert event.data.rang == 2


def test_extension_elements_are_accepted(habisoft) -> None:
    body = BATCH.replace(b"</hab:decisionCal>", b'<ext:ref xmlns:ext="urn:editeur:x">A-12</ext:ref></hab:decisionCal>')
    body = body.replace(b"</hab:evenement>", b'<ext:trace xmlns:ext="urn:editeur:x"/></hab:evenement>')
    body = body.replace(b"</hab:entete>", b'<ext:lot xmlns:ext="urn:editeur:x">7</ext:lot></hab:entete>')
    assert [e.type for e in decode(habisoft, body)] == ["decision_cal.v1", "bail_signe.v1", "visite_proposee.v1"]
