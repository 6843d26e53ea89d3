"""Read tolerantly, write exactly: what real SNE documents vary in (order, spaces, empty elements, decimals, several
co-holders, elements we do not know) never rejects a whole demand; what is unknown is kept with its path and
reported as a warning; what makes a demand unusable is still rejected with its path; and what we write is the
official shape (``typeFichier``, ``numGuichet``, ``localisationSouhaite``)."""

from __future__ import annotations

import random
import re

from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from sne_support import FIXTURES
from structlog.testing import capture_logs

from hub import RawMessage, RecordReject
from plugins.sne.codec import encode_event
from plugins.sne.schema import NS, interface_schema
from plugins.sne.tolerance import canonicalize, is_canonical

PUBLIC_SHAPE = (FIXTURES / "demande_forme_publique.xml").read_bytes()
OFFICIAL = (FIXTURES / "demande_forme_officielle.xml").read_bytes()


def decode(connector, body: bytes) -> list:
    return list(connector.decode(RawMessage.from_bytes(body, origin="in.xml")))


def one_event(connector, body: bytes):
    [item] = decode(connector, body)
    assert not isinstance(item, RecordReject), item.error
    return item


def _shuffled(body: bytes, seed: int) -> bytes:
    """The same document with the children of every element of the demand in a random order of their names;
    repeated elements keep their order among themselves (the order of a list is data: resources, dependants)."""
    root = etree.fromstring(body)
    rng = random.Random(seed)
    for element in root.find(f"{{{NS}}}demande").iter(etree.Element):
        rank = {tag: rng.random() for tag in {child.tag for child in element}}
        for child in sorted(element, key=lambda c: rank[c.tag]):     # sorted() is stable
            element.append(child)
    return etree.tostring(root)


def test_children_in_any_order_decode_to_the_same_demand(connector) -> None:
    reference = one_event(connector, PUBLIC_SHAPE).data
    for seed in range(5):
        body = _shuffled(PUBLIC_SHAPE, seed)
        assert body != PUBLIC_SHAPE
        assert one_event(connector, body).data == reference


def test_empty_optional_elements_are_absent(connector) -> None:
    body = (PUBLIC_SHAPE.replace(b"<ns1:telPortable>0612345678</ns1:telPortable>", b"<ns1:telPortable/>")
            .replace(b"<ns1:mel>odile.lefevre@example.org</ns1:mel>", b"<ns1:mel>  </ns1:mel>"))
    body = re.sub(rb"<ns1:nomPatronymique>[^<]*</ns1:nomPatronymique>", b"<ns1:nomPatronymique/>", body)
    assert b"<ns1:nomPatronymique/>" in body and b"<ns1:telPortable/>" in body
    demandeur = one_event(connector, body).data.demande.demandeur
    assert demandeur.telephone is None and demandeur.courriel is None
    assert one_event(connector, body).data.demande.cotitulaire.nom_naissance is None


def test_surrounding_spaces_are_trimmed_in_values_and_codes(connector) -> None:
    body = (PUBLIC_SHAPE.replace(b"<ns1:nom>Lef\xc3\xa8vre</ns1:nom>", b"<ns1:nom>  Lef\xc3\xa8vre\n </ns1:nom>")
            .replace(b'<ns1:typeLogementActuel code="T3"/>', b'<ns1:typeLogementActuel code=" T3 "/>')
            .replace(b"<ns1:dateCreationDemande>2024-02-12", b"<ns1:dateCreationDemande> 2024-02-12 "))
    assert body.count(b"  Lef") == 1 and b'" T3 "' in body
    data = one_event(connector, body).data
    assert data.demande.demandeur.nom == "Lefèvre"
    assert data.demande.logement_actuel.typologie.value == "T3"


def test_a_decimal_surface_is_rounded_to_whole_square_metres(connector) -> None:
    body = PUBLIC_SHAPE.replace(b"<ns1:surface>", b"<ns1:surface>  ", 1)
    start = body.index(b"<ns1:surface>") + len(b"<ns1:surface>")
    end = body.index(b"</ns1:surface>")
    body = body[:start] + b"48.5" + body[end:]
    assert one_event(connector, body).data.demande.logement_actuel.surface_m2 == 49


def test_several_cotitulaires_keep_the_first_and_the_others_whole(connector) -> None:
    start = PUBLIC_SHAPE.index(b"<ns1:cotitulaire>")
    end = PUBLIC_SHAPE.index(b"</ns1:cotitulaire>") + len(b"</ns1:cotitulaire>")
    second = PUBLIC_SHAPE[start:end].replace(b"<ns1:prenom>", b"<ns1:prenom>Second", 1)
    body = PUBLIC_SHAPE[:end] + second + PUBLIC_SHAPE[end:]
    with capture_logs() as logs:
        data = one_event(connector, body).data
    [kept] = data.demande.extensions
    assert kept.path == "interfaceNuu/demande/demandeLogement/personnePhysique/listeCotitulaire/cotitulaire[2]"
    assert "<ns1:prenom>Second" in kept.xml and "at most 1" in kept.reason
    assert not data.demande.cotitulaire.prenom.startswith("Second")
    [warning] = [entry for entry in logs if entry["event"] == "sne_element_kept"]
    assert warning["log_level"] == "warning" and warning["path"] == kept.path
    assert "Second" not in repr(logs)                        # the path, never the content


def test_unknown_optional_elements_are_kept_with_their_path(connector) -> None:
    body = (PUBLIC_SHAPE
            .replace(b"<ns1:telPortable>", b"<ns1:numeroAllocataire>1234567</ns1:numeroAllocataire><ns1:telPortable>")
            .replace(b"</ns1:demandeLogement>", b"<autre:suivi xmlns:autre=\"urn:x\">oui</autre:suivi>"
                                               b"</ns1:demandeLogement>"))
    with capture_logs() as logs:
        data = one_event(connector, body).data
    paths = [kept.path for kept in data.demande.extensions]
    assert paths == ["interfaceNuu/demande/demandeLogement/personnePhysique/demandeur/numeroAllocataire",
                     "interfaceNuu/demande/demandeLogement/suivi"]
    assert data.demande.extensions[0].xml.endswith(">1234567</ns1:numeroAllocataire>")
    assert [e["path"] for e in logs if e["event"] == "sne_element_kept"] == paths
    assert "1234567" not in repr(logs)
    assert data.demande.demandeur.telephone == "0612345678"


def test_what_makes_a_demand_unusable_is_still_rejected_with_its_path(connector) -> None:
    body = PUBLIC_SHAPE.replace(b"<ns1:nom>Lef\xc3\xa8vre</ns1:nom>", b"", 1)
    [reject] = decode(connector, body)
    assert isinstance(reject, RecordReject)
    assert "demandeur" in reject.error.location.field and "nom" in str(reject.error)


def test_type_fichier_says_what_a_demande_is(connector) -> None:
    def with_type(code: bytes) -> bytes:
        return OFFICIAL.replace(b"<ns1:typeFichier>CRE</ns1:typeFichier>", b"<ns1:typeFichier>" + code +
                                b"</ns1:typeFichier>")

    assert one_event(connector, OFFICIAL).type == "demande_enregistree.v1"
    modifiee = one_event(connector, with_type(b"MOD"))
    assert modifiee.type == "demande_modifiee.v1"
    assert modifiee.data.date_modification.isoformat() == "2024-05-06"       # the file's day
    assert modifiee.data.auteur.value == "guichet" and modifiee.data.guichet == "G6304"
    renouvelee = one_event(connector, with_type(b"REN"))
    assert renouvelee.type == "demande_renouvelee.v1"
    assert renouvelee.data.date_renouvellement.isoformat() == "2024-05-06"
    [reject] = decode(connector, with_type(b"RAD"))
    assert "typeFichier RAD" in reject.error.reason and "radiation records" in reject.error.reason
    for same in (b"CRS", b"COP", b"DIS", b"RET"):
        assert one_event(connector, with_type(same)).type == "demande_enregistree.v1"


def test_we_write_the_official_shape(connector) -> None:
    event = one_event(connector, OFFICIAL)
    root = etree.fromstring(encode_event(event))
    ns = {"n": NS}
    assert root.xpath("n:entete/*[1]", namespaces=ns)[0].tag == f"{{{NS}}}typeFichier"
    assert root.findtext(f"{{{NS}}}entete/{{{NS}}}typeFichier") == "CRE"
    assert root.xpath("//n:typeMouvement", namespaces=ns) == []
    assert root.xpath("string(//n:demandeLogement/n:numGuichet)", namespaces=ns) == "G6304"
    assert root.xpath("//n:listeLocalisationSouhaite/n:localisationSouhaite/n:commune/@code",
                      namespaces=ns) == ["63113", "63124", "63430"]
    assert root.xpath("//n:logementRecherche/n:demandeElargie/text()", namespaces=ns) == ["true"]
    assert root.xpath("//n:listeTypeLogement/n:typeLogement/@code", namespaces=ns) == ["T2", "T3"]
    assert interface_schema().problems(root) == []


def test_canonical_order_is_the_xsd_s() -> None:
    """The pass puts children back in the XSD's order, so the (exact) XSD validates a reordered record."""
    root = etree.fromstring(_shuffled(PUBLIC_SHAPE, 11))
    demande = root.find(f"{{{NS}}}demande")
    assert interface_schema().problems(root), "a shuffled record is not valid as it stands"
    assert canonicalize(demande) == []
    assert interface_schema().problems(root) == []


def test_a_demand_the_sne_refused_is_rejected_with_its_codes(connector) -> None:
    body = OFFICIAL.replace(b"</ns1:personnePhysique>", b"</ns1:personnePhysique><ns1:listeAnomalie>"
                            b"<ns1:anomalie code=\"DEM_0012\"><ns1:libelle>Commune inconnue</ns1:libelle>"
                            b"</ns1:anomalie></ns1:listeAnomalie>")
    [reject] = decode(connector, body)
    assert isinstance(reject, RecordReject)
    assert "the SNE refused this demand" in reject.error.reason
    assert [p["rule"] for p in reject.error.problems] == ["DEM_0012"]
    assert b"listeAnomalie" in reject.raw                      # the dead letter keeps the record as it came


def test_a_rejected_record_is_kept_as_it_came_not_as_the_tolerant_pass_left_it(connector) -> None:
    body = PUBLIC_SHAPE.replace(b"<ns1:nom>Lef\xc3\xa8vre</ns1:nom>", b"<ns1:inconnu>x</ns1:inconnu>", 1)
    [reject] = decode(connector, body)
    assert isinstance(reject, RecordReject) and b"<ns1:inconnu>x</ns1:inconnu>" in reject.raw


def test_an_extraction_is_read_as_tolerantly(connector, tmp_path) -> None:
    body = _shuffled(PUBLIC_SHAPE, 3).replace(b"<ns1:telPortable>", b"<ns1:numeroAllocataire>1</ns1:numeroAllocataire>"
                                                                    b"<ns1:telPortable>")
    path = tmp_path / "extraction.xml"
    path.write_bytes(body)
    [record] = list(connector.iter_bulk(path))
    assert not isinstance(record, RecordReject), record.error
    [event] = record.build(None)
    assert event.data.demande == one_event(connector, PUBLIC_SHAPE).data.demande.model_copy(
        update={"extensions": event.data.demande.extensions})
    assert [k.path.rpartition("/")[2] for k in event.data.demande.extensions] == ["numeroAllocataire"]


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1), pad=st.sampled_from([" ", "\n", "\t ", "  \n  "]))
def test_order_and_padding_never_change_the_demand(seed: int, pad: str) -> None:
    """Property: whatever the order of the children and the spaces around the values, the same demand is read."""
    from pathlib import Path

    from sne_support import make_connector

    connector = make_connector(Path("/nonexistent"))
    root = etree.fromstring(_shuffled(PUBLIC_SHAPE, seed))
    rng = random.Random(seed)
    for element in root.find(f"{{{NS}}}demande").iter(etree.Element):
        if len(element) == 0 and element.text and rng.random() < 0.5:
            element.text = pad + element.text + pad
        if element.get("code") is not None and rng.random() < 0.5:
            element.set("code", pad + element.get("code") + pad)
    assert one_event(connector, etree.tostring(root)).data == _reference(connector)


_REFERENCE: list = []


def _reference(connector):
    if not _REFERENCE:
        _REFERENCE.append(one_event(connector, PUBLIC_SHAPE).data)
    return _REFERENCE[0]


_SPACES = [" ", "\t", "\n", "\r", "\xa0", "\u2028", "\u3000"]


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_a_record_said_canonical_is_one_the_tolerant_pass_leaves_as_it_is(data) -> None:
    """``is_canonical`` lets a bulk import skip the pass: it must never say so of a record the pass would change
    (a space around a value or a code, an empty leaf, an element of another namespace, a second co-holder)."""
    demande = etree.fromstring(PUBLIC_SHAPE).find(f"{{{NS}}}demande")
    with capture_logs():
        canonicalize(demande)
    assert is_canonical(demande)
    elements = list(demande.iter(etree.Element))
    target = data.draw(st.sampled_from(elements))
    space = data.draw(st.sampled_from(_SPACES))
    change = data.draw(st.sampled_from(["text", "attribute", "empty", "foreign", "nothing"]))
    if change == "text" and len(target) == 0 and target.text:
        target.text = data.draw(st.sampled_from([space + target.text, target.text + space]))
    elif change == "attribute" and target.attrib:
        name = data.draw(st.sampled_from(sorted(target.attrib)))
        target.set(name, data.draw(st.sampled_from([space + target.get(name), target.get(name) + space])))
    elif change == "empty" and len(target) == 0:
        target.text = None
        target.attrib.clear()
    elif change == "foreign":
        etree.SubElement(target, "{urn:elsewhere}note").text = "x"
    before = etree.tostring(demande)
    said = is_canonical(demande)
    with capture_logs():
        kept = canonicalize(demande)
    if said:
        assert kept == [] and etree.tostring(demande) == before
