"""Bad inbound documents: each is refused with a precise reason and location (file, line, field path), a bad
record among good ones is rejected alone, and hostile XML never gets parsed into events."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sne_support import FIXTURES, make_connector

from hub import ContractError, DecodeError, InputTooLarge, RawMessage, RecordReject, RejectError

GOOD = (FIXTURES / "demande_radiee_renonciation.xml").read_bytes()
TWO = (FIXTURES / "demande_forme_publique.xml").read_bytes()


def decode(connector, body: bytes, origin: str = "in.xml") -> list:
    return list(connector.decode(RawMessage.from_bytes(body, origin=origin)))


def _lines(body: bytes) -> list[bytes]:
    return body.split(b"\n")


def _line_of(body: bytes, needle: bytes) -> int:
    return body[: body.index(needle)].count(b"\n") + 1


def test_malformed(connector) -> None:
    body = GOOD.replace(b"</ns1:dateRadiation>", b"</ns1:dateRadiaton>")
    with pytest.raises(DecodeError, match="malformed XML") as info:
        decode(connector, body, "mal.xml")
    assert (info.value.location.file, info.value.location.line) == ("mal.xml", _line_of(body, b"dateRadiaton"))


def test_truncated(connector) -> None:
    body = GOOD[: GOOD.index(b"<ns1:motifRadiation")]
    with pytest.raises(DecodeError, match="truncated XML") as info:
        decode(connector, body, "cut.xml")
    assert info.value.location.file == "cut.xml"
    assert info.value.location.line >= body.count(b"\n")


def test_wrong_namespace(connector) -> None:
    body = GOOD.replace(b"http://nuu.application.i2/", b"http://nuu.application.i3/")
    with pytest.raises(DecodeError, match="wrong namespace for root element 'interfaceNuu'") as info:
        decode(connector, body, "ns.xml")
    assert (info.value.location.line, info.value.location.field) == (2, "interfaceNuu")


def test_wrong_root(connector) -> None:
    with pytest.raises(DecodeError, match="unexpected root element"):
        decode(connector, b'<ns1:demande xmlns:ns1="http://nuu.application.i2/"/>')


@pytest.mark.parametrize("doctype", [
    b'<!DOCTYPE ns1:interfaceNuu [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    b'<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>',
    b'<!DOCTYPE ns1:interfaceNuu SYSTEM "http://127.0.0.1:9/nuu.dtd">',
], ids=["xxe", "billion-laughs", "external-dtd"])
def test_hostile_doctype(connector, doctype: bytes) -> None:
    body = GOOD.replace(b"?>\n", b"?>\n" + doctype + b"\n", 1)
    with pytest.raises(DecodeError, match="DOCTYPE") as info:
        decode(connector, body, "hostile.xml")
    assert (info.value.location.file, info.value.location.line) == ("hostile.xml", 2)


def test_external_schema_location(connector) -> None:
    body = GOOD.replace(b'versionInterface="02.01"',
                        b'versionInterface="02.01" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                        b'xsi:schemaLocation="http://nuu.application.i2/ http://127.0.0.1:9/evil.xsd"')
    with pytest.raises(DecodeError, match="xsi:schemaLocation refused") as info:
        decode(connector, body)
    assert info.value.location.field == "interfaceNuu"


def test_size_limit(tmp_path: Path) -> None:
    connector = make_connector(tmp_path, max_message_bytes=100)
    with pytest.raises(InputTooLarge, match="exceeds the limit of 100 bytes"):
        decode(connector, GOOD)


def test_header_problem_rejects_the_whole_document(connector) -> None:
    body = GOOD.replace(b"<ns1:dateFichier>2", b"<ns1:dateFichier>pas une date 2")
    with pytest.raises(DecodeError, match="interfaceNuu.xsd") as info:
        decode(connector, body, "h.xml")
    assert info.value.location.field == "interfaceNuu/entete/dateFichier"
    assert info.value.location.line == _line_of(body, b"pas une date")


def test_bad_version_rejects_the_whole_document(connector) -> None:
    with pytest.raises(DecodeError, match="versionInterface"):
        decode(connector, GOOD.replace(b'versionInterface="02.01"', b'versionInterface="03.00"'))


def test_invalid_record_is_rejected_alone_with_its_line_and_field(connector) -> None:
    bad = GOOD.replace(b'code="RADABA"', b'code="RADXXX"')
    record = bad[bad.index(b"  <ns1:radiation>"): bad.index(b"</ns1:radiation>") + len(b"</ns1:radiation>")]
    good_record = GOOD[GOOD.index(b"  <ns1:radiation>"): GOOD.index(b"</ns1:radiation>") + 16]
    body = bad.replace(record, good_record + b"\n" + record + b"\n" + good_record)
    results = decode(connector, body, "mix.xml")
    assert [type(r).__name__ for r in results] == ["Envelope[DemandeRadiee]", "RecordReject",
                                                   "Envelope[DemandeRadiee]"]
    reject = results[1]
    assert isinstance(reject, RecordReject)
    location = reject.error.location
    assert (location.file, location.record) == ("mix.xml", 2)
    assert location.line == _line_of(body, b"RADXXX")
    assert location.field == "interfaceNuu/radiation[2]/motifRadiation"
    assert "'RADXXX' is not an element of the set" in reject.error.reason and "'RADATT'" in reject.error.reason
    assert reject.line == _line_of(body, b"RADXXX") - 3
    assert reject.raw.startswith(b"<ns1:radiation") and b"RADXXX" in reject.raw
    assert results[0].sourcemessageid == results[2].sourcemessageid, "the same fact twice: journaled once"


def test_pattern_violation_is_an_xsd_error(connector) -> None:
    body = TWO.replace(b"0630224004517G6301", b"0631324004517G6301")   # month 13 in the numéro unique
    [reject] = decode(connector, body, "nu.xml")
    assert isinstance(reject.error, DecodeError)
    assert reject.error.location.field == "interfaceNuu/demande/demandeLogement/numUnique"
    assert "(0[1-9]|1[0-2])[0-9]{2}[0-9A-Z]{11}" in reject.error.reason


def test_contract_violation_names_the_field(connector) -> None:
    """What the XSD cannot check (dates in order) is the contract's: a ContractError with the payload's path."""
    body = TWO.replace(b"<ns1:dateCreationDemande>2024-02-12</ns1:dateCreationDemande>",
                       b"<ns1:dateCreationDemande>2024-02-12</ns1:dateCreationDemande>"
                       b"<ns1:dateDepot>2024-03-01</ns1:dateDepot>")
    [reject] = decode(connector, body, "dates.xml")
    assert isinstance(reject.error, ContractError)
    assert reject.error.location.field == "data.demande"
    assert "date_enregistrement: earlier than date_depot" in reject.error.reason
    assert (reject.error.location.file, reject.error.location.line) == ("dates.xml", _line_of(body, b"<ns1:demande>"))


def test_check_digit_violation_is_a_contract_error(connector) -> None:
    golden = (FIXTURES / "attribution_reportee.xml").read_bytes()
    siren = re.search(rb"<ns1:reservataire>\s*<ns1:siren>(\d{9})<", golden).group(1)
    wrong = siren[:8] + str((int(siren[8:]) + 1) % 10).encode()       # same number, another check digit
    body = golden.replace(b"<ns1:siren>" + siren, b"<ns1:siren>" + wrong)
    [reject] = decode(connector, body)
    assert isinstance(reject.error, ContractError)
    assert reject.error.location.field == "data.reservataire.siren"
    assert "check digit" in reject.error.reason


def test_personal_values_never_appear_in_reasons(connector) -> None:
    """An XSD error on a name or a birth date says which element and which rule, never the value."""
    body = TWO.replace(b"<ns1:nom>Lef\xc3\xa8vre</ns1:nom>", b"<ns1:nom>" + b"Lefevreville" * 10 + b"</ns1:nom>")
    body = body.replace(b"<ns1:dateNaissance>1983-06-21", b"<ns1:dateNaissance>1983-06-41")
    [reject] = decode(connector, body)
    text = str(reject.error) + str(reject.error.problems)
    assert "Lefevreville" not in text and "1983" not in text
    assert "maxLength" in text and "dateNaissance" in text and "<masked>" in text


def test_resources_of_missing_dependants_are_refused(connector) -> None:
    body = TWO.replace(b"<ns1:listeRessourceRecuePersACharge/>",
                       b"<ns1:listeRessourceRecuePersACharge><ns1:detailRessource><ns1:ressource code=\"AF\"/>"
                       b"<ns1:montant>10</ns1:montant></ns1:detailRessource></ns1:listeRessourceRecuePersACharge>")
    start = body.index(b"<ns1:listePersonneACharge>")
    end = body.index(b"</ns1:listePersonneACharge>") + len(b"</ns1:listePersonneACharge>")
    [reject] = decode(connector, body[:start] + body[end:])
    assert "listePersonneACharge is empty" in reject.error.reason
    assert reject.error.location.field.endswith("demandeur/listeRessourceRecuePersACharge")


def test_unknown_elements_of_other_namespaces_are_kept_out_not_crashed_on(connector) -> None:
    extension = b'<x:note xmlns:x="urn:editeur:extension"><x:priorite>haute</x:priorite></x:note>'
    body = GOOD.replace(b"</ns1:radiation>", extension + b"</ns1:radiation>")
    body = body.replace(b"</ns1:entete>", extension + b"</ns1:entete>")
    [event] = decode(connector, body)
    assert event.type == "demande_radiee.v1"


def test_unknown_element_of_the_sne_namespace_is_an_xsd_error(connector) -> None:
    body = GOOD.replace(b"</ns1:radiation>", b"<ns1:inconnu>1</ns1:inconnu></ns1:radiation>")
    [reject] = decode(connector, body)
    assert reject.error.location.field == "interfaceNuu/radiation/inconnu"
    assert "not expected" in reject.error.reason


def test_anomaly_report_is_not_events(connector) -> None:
    body = (b'<ns1:interfaceNuu xmlns:ns1="http://nuu.application.i2/" versionInterface="02.01">'
            b"<ns1:entete><ns1:dateFichier>2024-01-01T00:00:00Z</ns1:dateFichier></ns1:entete>"
            b"<ns1:listeAnomalie><ns1:anomalie><ns1:code>CTRL_DEM_0033</ns1:code><ns1:libelle>Sous-motif requis"
            b"</ns1:libelle><ns1:chemin>radiation/sousMotifRadiation</ns1:chemin></ns1:anomalie></ns1:listeAnomalie>"
            b"</ns1:interfaceNuu>")
    with pytest.raises(RejectError, match="anomaly report.*CTRL_DEM_0033") as info:
        decode(connector, body)
    assert info.value.problems[0]["field"] == "radiation/sousMotifRadiation"


def test_a_record_naming_no_entity_is_the_sne_s(tmp_path: Path) -> None:
    """Nothing configured, no emetteur, no desk with a SIREN: the system of record answers for its record."""
    from hub import ConnectorContext
    from plugins.sne.connector import SneConnector
    from plugins.sne.settings import SNE_ENTITY, SneSettings

    connector = SneConnector(SneSettings(), ConnectorContext("sne", tmp_path, tmp_path, tmp_path))
    [event] = decode(connector, (FIXTURES / "demande_forme_publique.xml").read_bytes())
    assert event.entity == SNE_ENTITY


def test_a_rejected_demand_keeps_a_document_of_its_own(connector) -> None:
    """One bad demand among good ones: its dead letter keeps the header and that demand (as received), which
    replays alone — not the whole document once per bad record."""
    good = TWO[TWO.index(b"<ns1:demande>"): TWO.index(b"</ns1:demande>") + len(b"</ns1:demande>")]
    bad = good.replace(b"<ns1:dateCreationDemande>2024-02-12", b"<ns1:dateCreationDemande>2024-02-31")
    body = TWO.replace(good, good + b"\n" + bad + b"\n" + good)
    results = decode(connector, body)
    assert [isinstance(r, RecordReject) for r in results] == [False, True, False]
    alone = results[1].replay
    assert alone.count(b"<ns1:demande>") == 1 and b"2024-02-31" in alone and b"<ns1:entete>" in alone
    assert len(alone) < len(body) / 2
    [again] = decode(connector, alone, "alone.xml")
    assert isinstance(again, RecordReject) and again.error.location.field.endswith("demandeLogement/dateCreationDemande")
    [fixed] = decode(connector, alone.replace(b"2024-02-31", b"2024-02-12"), "fixed.xml")
    assert fixed.type == "demande_enregistree.v1"
