"""The strict schema of the bulk import's fast path (``plugins.sne.strict``): a record it accepts is canonical
(``is_canonical``) and valid against ``interfaceNuu.xsd`` — checked on records mutated in every way the tolerant
pass and the XSD care about — it accepts the usual record, and an import yields exactly the same records with it as
without it."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from lxml import etree
from sne_support import FIXTURES

from hub import BulkRecord
from plugins.sne import bulk
from plugins.sne.schema import interface_schema, q
from plugins.sne.strict import integer_range_pattern, plainly_canonical, strict_schema
from plugins.sne.synthetic import write_extraction
from plugins.sne.tolerance import is_canonical

XSI = "http://www.w3.org/2001/XMLSchema-instance"
#: Every character Python's ``str.isspace`` knows that an XML 1.0 document may hold.
XML_SPACES = [chr(c) for c in range(0x110000) if chr(c).isspace()
              and (c in (0x9, 0xA, 0xD) or 0x20 <= c <= 0xD7FF or 0xE000 <= c <= 0xFFFD)]


@pytest.fixture(scope="module")
def records(tmp_path_factory) -> list[bytes]:
    """Records as a bulk reader serialises them: synthetic households of three seeds, then the public sample
    (last: not canonical as it is — it has spaces to trim — so its mutations test the refusals too)."""
    found: list[bytes] = []
    for seed in (1, 2, 3):
        path = write_extraction(tmp_path_factory.mktemp("strict") / "x.xml", 60, seed=seed, distinct=60)
        found += [etree.tostring(e) for e in etree.parse(str(path)).getroot().iter(q("demande"))]
    sample = etree.parse(str(FIXTURES / "demande_forme_publique.xml")).getroot().find(q("demande"))
    return [*found, etree.tostring(sample)]


def accepted_by_today(record: etree._Element) -> bool:
    return is_canonical(record) and not interface_schema().problems(record)


def test_the_strict_schema_derives_from_the_shipped_xsd() -> None:
    assert strict_schema() is not None


def test_it_accepts_the_usual_record(records: list[bytes]) -> None:
    schema = strict_schema()
    for raw in records[:-1]:
        record = etree.fromstring(raw)
        assert accepted_by_today(record)
        assert plainly_canonical(schema, record, raw), schema.error_log


@pytest.mark.parametrize("low, high", [(0, 0), (1, 9), (1, 50), (1900, 2200), (0, 99_999_999 // 10_000),
                                       (1, 1999), (7, 7), (10, 10), (9, 11), (123, 4567)])
def test_integer_range_pattern_matches_exactly_the_range(low: int, high: int) -> None:
    pattern = re.compile(integer_range_pattern(low, high))
    for number in range(0, max(high * 2, 100) + 1):
        assert bool(pattern.fullmatch(str(number))) == (low <= number <= high), number
    assert not pattern.fullmatch(f"0{low}") and not pattern.fullmatch(f"+{low}")


def _leaf(record: etree._Element, name: str) -> etree._Element:
    return next(record.iter(q(name)))


def test_every_space_python_strips_is_refused_at_an_edge(records: list[bytes]) -> None:
    """XSD's ``\\s`` knows four spaces; ``str.strip`` many more. Each one, at either edge of a text, a date or a
    code, makes the record one the strict schema refuses (so the tolerant pass trims it, as before)."""
    schema = strict_schema()
    base = etree.fromstring(records[0])
    for space in XML_SPACES:
        for name, value, attribute in (("nom", "Dupont", None), ("dateNaissance", "1980-01-01", None),
                                       ("civilite", "M", "code")):
            for text in (space + value, value + space, space):
                record = copy.deepcopy(base)
                element = _leaf(record, name)
                if attribute:
                    element.set(attribute, text)
                else:
                    element.text = text
                assert not is_canonical(record)
                assert not schema.validate(record), (hex(ord(space)), name, text)


def test_interior_spaces_and_line_breaks_are_accepted(records: list[bytes]) -> None:
    record = etree.fromstring(records[0])
    _leaf(record, "nom").text = "Le\u00a0Pen de la\nTour"
    assert strict_schema().validate(record), strict_schema().error_log


def test_an_xsi_declaration_on_the_root_keeps_the_fast_path_but_an_xsi_attribute_does_not(records: list[bytes]
                                                                                         ) -> None:
    """lxml copies the root's namespace declarations into each record it serialises; a root carrying
    ``xsi:schemaLocation`` (usual) must not send every record to the slow path, an ``xsi:`` attribute in the record
    (which no XSD check sees) must."""
    schema = strict_schema()
    document = etree.fromstring(b'<ns1:interfaceNuu xmlns:ns1="http://nuu.application.i2/" '
                                b'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" '
                                b'xsi:schemaLocation="http://nuu.application.i2/ interfaceNuu.xsd"/>')
    document.append(etree.fromstring(records[0]))
    record = document[0]
    raw = etree.tostring(record)
    assert b"XMLSchema-instance" in raw and plainly_canonical(schema, record, raw)
    _leaf(record, "nom").set(f"{{{XSI}}}noNamespaceSchemaLocation", "x.xsd ")
    raw = etree.tostring(record)
    assert schema.validate(record) and not is_canonical(record)      # what the XSD alone would let through
    assert not plainly_canonical(schema, record, raw)


# ----- mutations: whatever the strict schema accepts, today's checks accept -----

_VALUES = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff"
                                ).filter(lambda c: c in "\t\n\r" or c >= " "), max_size=12)
_EDGE = st.sampled_from(XML_SPACES)
_TRICKY = st.sampled_from(["2020-02-29", "2021-02-29", "1900-02-29", "2000-02-29", "2020-04-31", "2020-13-01",
                           "0000-01-01", "1799-12-31", "2020-01-01Z", "+2020-01-01", "true", "false", "1", "0",
                           "TRUE", "01", "+1", "1.", ".5", "1.50", "100000000", "100000000.0", "100000001",
                           "2000", "2000.5", "1900", "2201", "50", "51", "-0", "0.0", "1e3", "M", "", " ", "A" * 201])


def _elements(record: etree._Element) -> list[etree._Element]:
    return list(record.iter(etree.Element))


@st.composite
def mutation(draw, record: etree._Element) -> str:
    """Change ``record`` in place in one of the ways the tolerant pass or the XSD care about; say which."""
    elements = _elements(record)
    target = draw(st.sampled_from(elements))
    leaves = [e for e in elements if not len(e)]
    leaf = draw(st.sampled_from(leaves))
    kind = draw(st.sampled_from(["edge_text", "edge_attribute", "value", "tricky", "attribute_value", "empty_leaf",
                                 "empty_structure", "remove", "duplicate", "foreign", "unknown", "comment",
                                 "pi", "xsi", "reverse", "cotitulaire", "undeclared_attribute", "move"]))
    if kind == "edge_text" and leaf.text:
        space = draw(_EDGE)
        leaf.text = draw(st.sampled_from([space + leaf.text, leaf.text + space]))
    elif kind == "edge_attribute" and leaf.attrib:
        name = next(iter(leaf.attrib))
        leaf.set(name, draw(_EDGE) + leaf.get(name))
    elif kind == "value":
        leaf.text = draw(_VALUES)
    elif kind == "tricky":
        value = draw(_TRICKY)
        if leaf.attrib:
            leaf.set(next(iter(leaf.attrib)), value)
        else:
            leaf.text = value
    elif kind == "attribute_value" and leaf.attrib:
        leaf.set(next(iter(leaf.attrib)), draw(_VALUES))
    elif kind == "empty_leaf":
        leaf.text = draw(st.sampled_from([None, "", " ", "\n  "]))
        for name in list(leaf.attrib):
            del leaf.attrib[name]
    elif kind == "empty_structure" and target is not record:
        for child in list(target):
            target.remove(child)
        target.text = draw(st.sampled_from([None, "\n    "]))
    elif kind == "remove" and target is not record:
        target.getparent().remove(target)
    elif kind == "duplicate" and target is not record:
        target.addnext(copy.deepcopy(target))
    elif kind == "foreign":
        etree.SubElement(target, "{urn:other}extension").text = "x"
    elif kind == "unknown":
        etree.SubElement(target, q("inconnu")).text = "x"
    elif kind == "comment":
        target.insert(draw(st.integers(0, len(target))), etree.Comment("note"))
    elif kind == "pi":
        target.append(etree.ProcessingInstruction("note", "x"))
    elif kind == "xsi":
        target.set(f"{{{XSI}}}{draw(st.sampled_from(['nil', 'type', 'schemaLocation']))}",
                   draw(st.sampled_from(["true", " true", "ns1:Nom", "urn:x x.xsd "])))
    elif kind == "reverse" and len(target) > 1:
        for child in reversed(list(target)):
            target.append(child)
    elif kind == "cotitulaire":
        found = list(record.iter(q("cotitulaire")))
        if found:
            found[0].addnext(copy.deepcopy(found[0]))
    elif kind == "undeclared_attribute":
        target.set(draw(st.sampled_from(["code", "id", "{urn:other}note", "{http://www.w3.org/XML/1998/namespace}lang"])),
                   draw(st.sampled_from(["x", " x"])))
    elif kind == "move" and target is not record and target.getparent() is not record:
        parent = target.getparent()
        parent.getparent().append(target)
    return kind


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_what_the_strict_schema_accepts_today_s_checks_accept(records: list[bytes], data) -> None:
    schema = strict_schema()
    record = etree.fromstring(data.draw(st.sampled_from(records)))
    kinds = [data.draw(mutation(record)) for _ in range(data.draw(st.integers(1, 3)))]
    raw = etree.tostring(record)
    accepted = plainly_canonical(schema, record, raw)
    event("strict accepts" if accepted else "strict refuses")      # --hypothesis-show-statistics: both happen
    if accepted:
        assert accepted_by_today(record), (kinds, raw)


# ----- the import itself: the same records with the fast path as without it -----

def _mixed_extraction(path: Path) -> Path:
    """An extraction whose records take every path: canonical, leap days, spaces to trim, an unknown element,
    children out of order, an invalid date."""
    write_extraction(path, 40, seed=5, distinct=40)
    body = path.read_bytes()
    body = body.replace(b"<ns1:nom>", b"<ns1:nom> ", 3)
    body = body.replace(b"</ns1:prenom>", b"</ns1:prenom><ns1:inconnu>x</ns1:inconnu>", 2)
    body = re.sub(rb"<ns1:dateNaissance>(\d{4})-\d\d-\d\d<", rb"<ns1:dateNaissance>2000-02-29<", body, count=4)
    last = body.rindex(b"<ns1:dateCreationDemande>") + len(b"<ns1:dateCreationDemande>")
    body = body[:last] + b"x" + body[last:]                             # the last record: rejected
    body = re.sub(rb"(<ns1:nom>[^<]*</ns1:nom>)(<ns1:prenom>[^<]*</ns1:prenom>)", rb"\2\1", body, count=5)
    return path.write_bytes(body) and path


def _comparable(item) -> tuple:
    if isinstance(item, BulkRecord):
        # the builder (the demand's canonical JSON, desk, entity, dates) and the event data it journals
        events = [event.data.model_dump_json() for event in item.build(None) + item.build("sha256:before")]
        return ("record", item.key, item.fingerprint, item.line, item.raw, item.build, events)
    return ("reject", str(item.error), item.line, item.raw)


def test_an_import_yields_the_same_records_with_or_without_the_fast_path(connector, tmp_path: Path,
                                                                         monkeypatch) -> None:
    path = _mixed_extraction(tmp_path / "mixed.xml")
    fast = [_comparable(item) for item in connector.iter_bulk(path)]
    monkeypatch.setattr(bulk, "strict_schema", lambda: None)
    usual = [_comparable(item) for item in connector.iter_bulk(path)]
    assert fast == usual
    kinds = [item[0] for item in fast]
    assert kinds.count("reject") >= 1 and kinds.count("record") >= 30
    built = [item[5] for item in fast if item[0] == "record"]
    assert any("inconnu" in b.demande_json for b in built)   # kept aside by the tolerant walk
