"""The hardened XML helper: hostile documents are refused with a clear reason and a location; streaming stays
constant-memory; XSD problems name the line and the element path."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from lxml import etree

from hub import DecodeError, InputTooLarge, xml_safe
from hub.xml_safe import XmlLimits, XmlSchema, element_path, iter_records, parse

NS = "urn:test:xml-safe"
ROOT = f"{{{NS}}}liste"
REC = f"{{{NS}}}rec"

XSD = f"""<?xml version="1.0" encoding="UTF-8"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}" xmlns:t="{NS}"
           elementFormDefault="qualified">
  <xs:element name="liste">
    <xs:complexType><xs:sequence><xs:element ref="t:rec" maxOccurs="unbounded"/></xs:sequence></xs:complexType>
  </xs:element>
  <xs:element name="rec">
    <xs:complexType>
      <xs:sequence>
        <xs:element name="nombre" type="xs:int"/>
        <xs:element name="libelle" type="xs:string" minOccurs="0"/>
        <xs:any namespace="##other" processContents="lax" minOccurs="0" maxOccurs="unbounded"/>
      </xs:sequence>
    </xs:complexType>
  </xs:element>
</xs:schema>
"""


def _doc(records: int, *, extra: str = "") -> bytes:
    body = "".join(f"\n  <rec><nombre>{i}</nombre><libelle>r{i}</libelle></rec>" for i in range(records))
    return f'<?xml version="1.0" encoding="UTF-8"?>\n<liste xmlns="{NS}">{body}{extra}\n</liste>\n'.encode()


@pytest.fixture(scope="module")
def schema(tmp_path_factory) -> XmlSchema:
    path = tmp_path_factory.mktemp("xsd") / "test.xsd"
    path.write_text(XSD, encoding="utf-8")
    return XmlSchema(path)


# --- hostile documents -------------------------------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<lolz>&lol3;</lolz>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<r>&secret;</r>"""

EXTERNAL_DTD = b"""<?xml version="1.0"?>
<!DOCTYPE r SYSTEM "http://127.0.0.1:9/evil.dtd">
<r/>"""

PARAMETER_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE r [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>
<r/>"""


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, EXTERNAL_DTD, PARAMETER_ENTITY],
                         ids=["billion-laughs", "xxe", "external-dtd", "parameter-entity"])
def test_parse_refuses_any_doctype(body: bytes) -> None:
    with pytest.raises(DecodeError, match="DOCTYPE") as info:
        parse(body, origin="hostile.xml")
    assert info.value.location.file == "hostile.xml"
    assert info.value.location.line == 2


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, EXTERNAL_DTD], ids=["billion-laughs", "xxe", "external-dtd"])
def test_streaming_refuses_any_doctype(body: bytes) -> None:
    with pytest.raises(DecodeError, match="DOCTYPE") as info:
        list(iter_records(io.BytesIO(body), tags={"r"}, origin="hostile.xml"))
    assert info.value.location.line == 2


def test_doctype_hidden_in_utf16_is_caught_after_parsing() -> None:
    """The byte scan cannot see a UTF-16 prolog; the parsed tree's docinfo still reveals the DTD."""
    body = XXE.decode().replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>').encode("utf-16")
    with pytest.raises(DecodeError, match="DOCTYPE"):
        parse(body, origin="utf16.xml")


def test_schema_location_hints_are_refused() -> None:
    body = (f'<liste xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"\n'
            f' xsi:schemaLocation="{NS} http://127.0.0.1:9/evil.xsd"><rec><nombre>1</nombre></rec></liste>').encode()
    with pytest.raises(DecodeError, match="schemaLocation") as info:
        parse(body, origin="hint.xml")
    assert info.value.location.field == "liste"
    with pytest.raises(DecodeError, match="schemaLocation"):
        list(iter_records(io.BytesIO(body), tags={REC}, origin="hint.xml"))


def test_no_namespace_schema_location_on_a_nested_element_is_refused() -> None:
    body = (f'<liste xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            f'<rec xsi:noNamespaceSchemaLocation="file:///etc/evil.xsd"><nombre>1</nombre></rec></liste>').encode()
    with pytest.raises(DecodeError, match="noNamespaceSchemaLocation") as info:
        parse(body, origin="hint.xml")
    assert info.value.location.line == 2
    assert info.value.location.field == "liste/rec"


def test_size_limit() -> None:
    with pytest.raises(InputTooLarge, match="exceeds the limit of 100 bytes"):
        parse(_doc(10), origin="big.xml", limits=XmlLimits(max_bytes=100))


def test_depth_limit_whole_document() -> None:
    body = ("<a>" * 20 + "</a>" * 20).encode()
    with pytest.raises(DecodeError, match="deeper than 10 levels") as info:
        parse(body, origin="deep.xml", limits=XmlLimits(max_depth=10))
    assert info.value.location.field.count("/") == 10


def test_depth_limit_streaming_is_libxml2s() -> None:
    """Streaming leaves nesting to libxml2's hard limit (256 levels without huge_tree)."""
    body = ("<r>" + "<a>" * 300 + "</a>" * 300 + "</r>").encode()
    with pytest.raises(DecodeError, match="Excessive depth") as info:
        list(iter_records(io.BytesIO(body), tags={"b"}, origin="deep.xml"))
    assert info.value.location.line == 1


def test_record_size_limit_streaming() -> None:
    """A record that grows past the limit is refused before it is complete, so it never sits whole in memory."""
    inner = "<libelle>x</libelle>" * 5000
    body = f'<liste xmlns="{NS}">\n<rec><nombre>1</nombre></rec>\n<rec><nombre>2</nombre>{inner}</rec></liste>'
    seen = []
    with pytest.raises(DecodeError, match="record larger than 1000 bytes") as info:
        for record in iter_records(io.BytesIO(body.encode()), tags={REC}, origin="fat.xml",
                                   limits=XmlLimits(max_record_bytes=1000), chunk_size=1024):
            seen.append(record.findtext(f"{{{NS}}}nombre"))
    assert seen == ["1"]
    assert info.value.location.line == 3
    assert info.value.location.field == "rec"


def test_entities_are_never_expanded_even_when_predefined_only() -> None:
    root = parse(f'<liste xmlns="{NS}"><rec><nombre>1</nombre><libelle>a &amp; b</libelle></rec></liste>'.encode(),
                 origin="ok.xml")
    assert root.findtext(f".//{{{NS}}}libelle") == "a & b"


def test_undeclared_entity_is_a_syntax_error_with_line() -> None:
    with pytest.raises(DecodeError, match="malformed XML") as info:
        parse(b"<r>\n&nope;</r>", origin="ent.xml")
    assert info.value.location.line == 2


# --- malformed, truncated, wrong namespace ------------------------------------------------------------------------

def test_malformed_document_names_the_line() -> None:
    body = _doc(3).replace(b"<libelle>r1</libelle>", b"<libelle>r1</libel>")
    with pytest.raises(DecodeError, match="malformed XML") as info:
        parse(body, origin="bad.xml")
    assert info.value.location.line == 4
    assert str(info.value).startswith("bad.xml:4: malformed XML")


def test_truncated_document_is_reported_as_truncated() -> None:
    body = _doc(3)[:-30]
    with pytest.raises(DecodeError, match="truncated XML") as info:
        parse(body, origin="cut.xml")
    assert info.value.location.file == "cut.xml"


def test_truncated_stream_yields_good_records_then_fails() -> None:
    body = _doc(5)
    cut = body[: body.index(b"<rec><nombre>4") + 8]
    seen = []
    with pytest.raises(DecodeError, match="truncated XML") as info:
        for record in iter_records(io.BytesIO(cut), tags={REC}, origin="cut.xml"):
            seen.append(record.findtext(f"{{{NS}}}nombre"))
    assert seen == ["0", "1", "2", "3"]
    assert info.value.location.line == 7


def test_empty_document() -> None:
    with pytest.raises(DecodeError, match="empty document"):
        parse(b"  \n", origin="empty.xml")


def test_wrong_namespace_is_told_apart_from_wrong_root() -> None:
    body = _doc(1).replace(NS.encode(), b"urn:other")
    with pytest.raises(DecodeError, match="wrong namespace for root element 'liste'.*urn:other.*urn:test:xml-safe"):
        parse(body, origin="ns.xml", expected_root=ROOT)
    with pytest.raises(DecodeError, match="wrong namespace"):
        list(iter_records(io.BytesIO(body), tags={REC}, origin="ns.xml", expected_root=ROOT))
    with pytest.raises(DecodeError, match="unexpected root element"):
        parse(b"<autre/>", origin="root.xml", expected_root=ROOT)


# --- streaming ----------------------------------------------------------------------------------------------------

def test_iter_records_yields_each_record_with_its_line_and_frees_the_previous(tmp_path: Path) -> None:
    path = tmp_path / "liste.xml"
    path.write_bytes(_doc(200))
    lines = []
    for record in iter_records(path, tags={REC}, origin=path.name, expected_root=ROOT):
        lines.append(record.sourceline)
        previous = record.getprevious()
        assert previous is None or (len(previous) == 0 and previous.getprevious() is None), \
            "earlier records must be cleared and removed from the tree"
    assert lines == list(range(3, 203))


def test_iter_records_keeps_memory_flat() -> None:
    """The tree holds only the records parsed ahead of the current one (one chunk of input), never the ones
    already consumed, whatever the file size: the peak is the same for 4,000 and 40,000 records."""
    def peak_for(records: int) -> int:
        peak = 0
        for record in iter_records(io.BytesIO(_doc(records)), tags={REC}, origin="big.xml", chunk_size=8192):
            peak = max(peak, len(record.getparent()))
        return peak

    assert peak_for(40_000) == peak_for(4_000) < 300


def test_validate_one_streamed_record(schema: XmlSchema) -> None:
    body = _doc(3).replace(b"<nombre>1</nombre>", b"<nombre>un</nombre>")
    results = []
    for record in iter_records(io.BytesIO(body), tags={REC}, origin="s.xml"):
        results.append(schema.problems(record))
    assert [len(r) for r in results] == [0, 1, 0]
    problem = results[1][0]
    assert problem.line == 4
    assert problem.field == "rec/nombre", "paths of a streamed record start at the record"
    assert "<masked> is not a valid value" in problem.message


# --- XSD ----------------------------------------------------------------------------------------------------------

def test_assert_valid_reports_line_and_field(schema: XmlSchema) -> None:
    body = _doc(3).replace(b"<libelle>r2</libelle>", b"<inconnu>r2</inconnu>")
    root = parse(body, origin="x.xml")
    with pytest.raises(DecodeError) as info:
        schema.assert_valid(root, origin="x.xml")
    assert info.value.location.line == 5
    assert info.value.location.field == "liste/rec[3]/inconnu"
    assert "inconnu" in info.value.reason and "not expected" in info.value.reason
    assert info.value.problems[0]["line"] == 5


def test_unknown_elements_of_other_namespaces_are_accepted(schema: XmlSchema) -> None:
    extra = '\n  <rec><nombre>9</nombre><x:futur xmlns:x="urn:futur"><x:champ>1</x:champ></x:futur></rec>'
    assert schema.problems(parse(_doc(1, extra=extra), origin="x.xml")) == []


def test_schema_may_not_include_files_outside_its_directory(tmp_path: Path) -> None:
    outside = tmp_path / "outside.xsd"
    outside.write_text(XSD, encoding="utf-8")
    inner = tmp_path / "schemas"
    inner.mkdir()
    (inner / "main.xsd").write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}">'
        '<xs:include schemaLocation="../outside.xsd"/></xs:schema>', encoding="utf-8")
    with pytest.raises(ValueError, match="invalid XSD"):
        XmlSchema(inner / "main.xsd")


def test_schema_with_network_import_is_refused(tmp_path: Path) -> None:
    (tmp_path / "net.xsd").write_text(
        f'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="{NS}">'
        '<xs:import namespace="urn:x" schemaLocation="http://127.0.0.1:9/x.xsd"/>'
        '<xs:element name="a" type="xs:string"/></xs:schema>', encoding="utf-8")
    with pytest.raises(ValueError, match="invalid XSD"):
        XmlSchema(tmp_path / "net.xsd")


def test_element_path_indexes_repeated_siblings() -> None:
    root = etree.fromstring(f'<liste xmlns="{NS}"><rec/><rec><nombre/></rec></liste>'.encode())
    assert element_path(root[1][0]) == "liste/rec[2]/nombre"
    assert element_path(root) == "liste"
    assert xml_safe.local_name(root) == "liste"


def test_values_are_masked_in_messages_unless_public(tmp_path: Path) -> None:
    """libxml2 quotes offending values; a name or a birth date must not reach dead letters and logs."""
    path = tmp_path / "t.xsd"
    path.write_text(XSD, encoding="utf-8")
    body = _doc(1).replace(b"<nombre>0</nombre>", b"<nombre>Dupont</nombre>")
    masked = XmlSchema(path).problems(parse(body, origin="x"))[0].message
    shown = XmlSchema(path, public={"nombre"}).problems(parse(body, origin="x"))[0].message
    assert "Dupont" not in masked and "<masked>" in masked
    assert "'Dupont' is not a valid value" in shown
