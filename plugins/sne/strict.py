"""A stricter copy of ``interfaceNuu.xsd``, derived when it is loaded, that accepts only records which are already
canonical: one validation in C instead of :func:`plugins.sne.tolerance.is_canonical` (a Python pass over ~150
elements) followed by the XSD.

Why: in a bulk import almost every record is canonical and valid, and for those the two checks cost ≈ 100 µs of
the reader's ≈ 300 µs per demand. A record this schema accepts is, by construction, one that ``is_canonical``
accepts and the XSD validates, so it takes the same path as before (no tolerant walk, nothing kept aside) and
yields byte-identical events; a record it refuses is checked exactly as before (``is_canonical``, XSD, tolerant
walk). The schema may refuse more than needed (a leap day, a year before 1800, ``+12``): that only costs the slow
path.

How each condition of ``is_canonical`` becomes a constraint of the schema:

* nothing of another namespace: every ``xs:any`` (``##other``) is removed;
* no more ``cotitulaire`` than the contracts carry: ``maxOccurs`` lowered to :data:`CONTRACT_LIMITS`;
* no value with spaces at its edges (Python's ``str.isspace``, which is wider than XSD's ``\\s``): every string
  type is restricted once more by a pattern :data:`NO_EDGE_SPACE`; the types XSD compares after collapsing spaces
  (``xs:date``, ``xs:boolean``, ``xs:int``, ``xs:decimal``) are replaced by string types whose pattern spells
  their canonical lexical forms within the original bounds;
* no empty leaf: an element whose content could be empty (a list of optional children, a structure of optional
  parts) must now hold at least one child;
* no comment nor processing instruction: XSD ignores them, so :func:`plainly_canonical` looks for them in the
  record's serialisation, and for ``xsi:`` attributes, which any XSD validator admits undeclared.

If the XSD one day holds a construct this derivation does not handle, :func:`strict_schema` returns None and
every record takes the usual path (tested: the derivation succeeds on the shipped XSD).
"""

from __future__ import annotations

import copy
import re
from functools import lru_cache
from pathlib import Path

import structlog
from lxml import etree

from hub.xml import make_parser
from plugins.sne.schema import SCHEMA_DIR
from plugins.sne.tolerance import CONTRACT_LIMITS, XS

__all__ = ["strict_schema", "derive_strict", "plainly_canonical", "NO_EDGE_SPACE", "integer_range_pattern",
           "UnsupportedSchema"]

log = structlog.get_logger(__name__)

_XS = f"{{{XS}}}"
#: The characters a value must not start or end with: XSD's ``\\s`` (space, tab, line breaks), the Unicode
#: separators ``\\p{Z}`` and U+0085 — together every character Python's ``str.isspace`` (what ``is_canonical`` and
#: ``str.strip`` use) calls a space and XML 1.0 allows in a document (tested character by character).
_SPACE_CLASS = "\\s\\p{Z}\x85"
#: Non-empty, no space at either edge (interior spaces and line breaks allowed). Written so that libxml2's
#: automaton stays deterministic: a run of non-spaces, then any number of (spaces, non-spaces). A class of
#: categories costs libxml2 a third of a class listing the 25 characters.
NO_EDGE_SPACE = f"[^{_SPACE_CLASS}]+([{_SPACE_CLASS}]+[^{_SPACE_CLASS}]+)*"

_YEAR = "(1[89]|2[0-9])[0-9]{2}"
#: ``xs:date`` without time zone, years 1800–2999; 29 February only in leap years.
_DATE = (f"{_YEAR}-((0[1-9]|1[0-2])-(0[1-9]|1[0-9]|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)"
         "|(1[89]|2[0-9])(0[48]|[2468][048]|[13579][26])-02-29|(20|24|28)00-02-29")
_BUILTIN_PATTERNS = {
    "date": _DATE,
    "dateTime": f"({_DATE})T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\\.[0-9]+)?(Z|[+\\-](0[0-9]|1[0-3]):[0-5][0-9])?",
    "boolean": "true|false|1|0",
}


class UnsupportedSchema(ValueError):
    """The XSD holds a construct the derivation cannot make strict without weakening it."""


def integer_range_pattern(low: int, high: int) -> str:
    """A regular expression (XSD flavour, anchored by XSD) matching exactly the decimal numerals of the whole
    numbers from ``low`` to ``high`` written without sign nor leading zero. Splits the range into parts whose
    numerals share a prefix then vary freely (``1900–1999`` → ``19[0-9][0-9]``)."""
    if low < 0 or high < low:
        raise UnsupportedSchema(f"range {low}..{high}")
    parts = []
    for start, stop in _uniform_ranges(low, high):
        a, b = str(start), str(stop)
        parts.append("".join(x if x == y else f"[{x}-{y}]" for x, y in zip(a, b)))
    return "|".join(parts)


def _uniform_ranges(low: int, high: int) -> list[tuple[int, int]]:
    stops = {high}
    width = 1
    while True:                                   # low rounded up to …9, …99: ends of ranges starting at low
        text = str(low)
        stop = int(text[:-width] + "9" * width) if width <= len(text) else 10 ** width - 1
        if not low <= stop < high:
            break
        stops.add(stop)
        width += 1
    width = 1
    while True:                                   # high+1 rounded down to …0, …00: starts of ranges ending at high
        stop = (high + 1) - (high + 1) % 10 ** width - 1
        if not low < stop <= high:
            break
        stops.add(stop)
        width += 1
    ranges, start = [], low
    for stop in sorted(stops):
        if stop >= start:
            ranges.append((start, stop))
            start = stop + 1
    return ranges


def _numeric_pattern(base: str, facets: dict[str, str]) -> str:
    """The canonical numerals of an ``xs:int`` or ``xs:decimal`` restricted by whole inclusive bounds."""
    if set(facets) - {"minInclusive", "maxInclusive"} or len(facets) != 2:
        raise UnsupportedSchema(f"numeric facets {sorted(facets)}")
    try:
        low, high = int(facets["minInclusive"]), int(facets["maxInclusive"])
    except ValueError:
        raise UnsupportedSchema(f"non-integer bounds {facets}") from None
    if base == "int":
        return integer_range_pattern(low, high)
    below = f"({integer_range_pattern(low, high - 1)})(\\.[0-9]+)?" if high > low else None
    return "|".join(p for p in (below, str(high)) if p)


def _string_type(pattern: str) -> etree._Element:
    simple = etree.Element(f"{_XS}simpleType")
    restriction = etree.SubElement(simple, f"{_XS}restriction", base="xs:string")
    etree.SubElement(restriction, f"{_XS}pattern", value=pattern)
    return simple


def _strict_simple(simple: etree._Element) -> etree._Element:
    """The strict version of a simple type's definition (its content, the name kept by the caller)."""
    restriction = simple.find(f"{_XS}restriction")
    if restriction is None or len(simple) > 2 or (len(simple) == 2 and simple[0].tag != f"{_XS}annotation"):
        raise UnsupportedSchema("simple type other than a restriction")
    base = restriction.get("base", "")
    prefix, _, local = base.rpartition(":")
    facets = {etree.QName(f).localname: f.get("value") for f in restriction if isinstance(f.tag, str)
              and f.tag != f"{_XS}annotation"}
    if prefix == "xs" and local in ("int", "decimal"):
        return _string_type(_numeric_pattern(local, facets))
    if prefix == "xs" and local == "string":
        values = [f.get("value") for f in restriction.iterfind(f"{_XS}enumeration")]
        if values and len(facets) == 1 and all(v and v == v.strip() for v in values):
            return copy.deepcopy(simple)            # a closed list of values, none with an edge space: as strict
        strict = copy.deepcopy(simple)              # its facets, then a second step: patterns of two steps both apply
        inner = strict.find(f"{_XS}restriction")
        outer = etree.Element(f"{_XS}simpleType")
        outer_restriction = etree.SubElement(outer, f"{_XS}restriction")
        outer_restriction.append(etree.Element(f"{_XS}simpleType"))
        outer_restriction[0].append(inner)
        etree.SubElement(outer_restriction, f"{_XS}pattern", value=NO_EDGE_SPACE)
        return outer
    raise UnsupportedSchema(f"simple type based on {base}")


def derive_strict(xsd: etree._ElementTree) -> etree._ElementTree:
    """The strict schema document derived from ``xsd`` (see the module docstring). Raises
    :class:`UnsupportedSchema` for a construct it does not know."""
    tree = copy.deepcopy(xsd)
    root = tree.getroot()
    for comment in root.xpath(".//comment()|.//xs:annotation", namespaces={"xs": XS}):
        comment.getparent().remove(comment)
    if root.find(f".//{_XS}anyAttribute") is not None or root.xpath("//*[@mixed='true']"):
        raise UnsupportedSchema("anyAttribute or mixed content")
    for wildcard in list(root.iter(f"{_XS}any")):
        wildcard.getparent().remove(wildcard)
    for name, limit in CONTRACT_LIMITS.items():
        for declaration in root.iter(f"{_XS}element"):
            if declaration.get("name") == name or (declaration.get("ref") or "").split(":")[-1] == name:
                declaration.set("maxOccurs", str(limit))
    # Simple types, named or inline: strict content of their own (names and places kept).
    for simple in list(root.iter(f"{_XS}simpleType")):
        if simple.getparent() is not None and simple.getparent().tag == f"{_XS}restriction":
            continue                                  # a base inside a derivation we just built
        strict = _strict_simple(simple)
        if simple.get("name"):
            strict.set("name", simple.get("name"))
        simple.getparent().replace(simple, strict)
    # Built-in types referenced directly by elements and attributes.
    builtins: set[str] = set()
    for node in root.iter(f"{_XS}element", f"{_XS}attribute"):
        type_name = node.get("type") or ""
        if type_name.startswith("xs:"):
            local = type_name[3:]
            if local == "string":
                node.set("type", "ns1:Strict_string")
                builtins.add(local)
            elif local in _BUILTIN_PATTERNS:
                node.set("type", f"ns1:Strict_{local}")
                builtins.add(local)
            else:
                raise UnsupportedSchema(f"built-in type {type_name}")
    for local in sorted(builtins):
        simple = _string_type(NO_EDGE_SPACE if local == "string" else _BUILTIN_PATTERNS[local])
        simple.set("name", f"Strict_{local}")
        root.append(simple)
    # Structures that could be empty must hold a child.
    for complex_type in list(root.iter(f"{_XS}complexType")):
        _require_a_child(complex_type)
    return tree


def _require_a_child(complex_type: etree._Element) -> None:
    model = [c for c in complex_type if c.tag in (f"{_XS}sequence", f"{_XS}choice", f"{_XS}all", f"{_XS}group")]
    if not model:
        if complex_type.find(f"{_XS}attribute[@use='required']") is None:
            raise UnsupportedSchema("a structure with neither children nor a required attribute")
        return                                        # a coded value: its required attribute makes it non-empty
    (particle,) = model
    if particle.tag == f"{_XS}choice":
        for option in particle:
            if option.get("minOccurs") == "0" or (option.tag == f"{_XS}sequence" and _emptiable(option)):
                raise UnsupportedSchema("a choice with an empty option")
        if particle.get("minOccurs") == "0":
            raise UnsupportedSchema("an optional choice")
        return
    if particle.tag != f"{_XS}sequence" or particle.get("minOccurs") == "0":
        raise UnsupportedSchema(f"content model {etree.QName(particle).localname}")
    if not _emptiable(particle):
        return
    children = list(particle)
    if any(c.tag != f"{_XS}element" for c in children) or not children:
        raise UnsupportedSchema("an emptiable sequence of other than elements")
    # (a, b?, c?) with every part optional becomes a choice of (a, b?, c?) | (b, c?) | (c): same documents but the
    # empty one, and still deterministic (each option starts with its own element).
    choice = etree.Element(f"{_XS}choice")
    for position in range(len(children)):
        option = etree.SubElement(choice, f"{_XS}sequence")
        for index, child in enumerate(children[position:]):
            part = copy.deepcopy(child)
            if index == 0:
                del part.attrib["minOccurs"]
            option.append(part)
    complex_type.replace(particle, choice)


def _emptiable(sequence: etree._Element) -> bool:
    for part in sequence:
        if part.tag == f"{_XS}element" and part.get("minOccurs") != "0":
            return False
        if part.tag in (f"{_XS}sequence", f"{_XS}choice", f"{_XS}group") and part.get("minOccurs") != "0":
            return False        # conservatively non-empty only when it is a required element; else the caller raises
    return True


@lru_cache(maxsize=1)
def strict_schema(xsd: Path = SCHEMA_DIR / "interfaceNuu.xsd") -> etree.XMLSchema | None:
    """The strict schema of ``xsd``, compiled once; None when it cannot be derived (then every record takes the
    usual path: slower, never wrong)."""
    try:
        return etree.XMLSchema(derive_strict(etree.parse(str(xsd), make_parser())))
    except (UnsupportedSchema, etree.XMLSchemaParseError) as exc:
        log.warning("sne_strict_schema_unavailable", reason=str(exc))
        return None


_XSI = b"http://www.w3.org/2001/XMLSchema-instance"
#: How lxml serialises a declaration of the ``xsi`` namespace: it copies the declarations of the record's ancestors
#: into it, so a file whose root carries ``xsi:schemaLocation`` (usual) declares it in every record.
_XSI_DECLARATION = re.compile(rb'xmlns:([^\s=]+)="http://www\.w3\.org/2001/XMLSchema-instance"')


def plainly_canonical(schema: etree.XMLSchema, record: etree._Element, raw: bytes) -> bool:
    """True when ``record`` (serialised as ``raw``) is canonical and valid against the XSD, proved by the strict
    ``schema`` alone; False says nothing (the caller checks the record the usual way). Comments, processing
    instructions and ``xsi:`` attributes are invisible to an XSD, so a record whose serialisation holds any of
    them (or might: a text that reads `` xsi:``) is left to the usual path."""
    if b"<!--" in raw or b"<?" in raw:
        return False
    if _XSI in raw:                              # declared; used by an attribute of the record (`` p:name="…"``)?
        prefixes = _XSI_DECLARATION.findall(raw)
        if not prefixes or any(b" " + prefix + b":" in raw for prefix in prefixes):
            return False
    return schema.validate(record)
