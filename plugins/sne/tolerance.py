"""Tolerant reading: an inbound record is brought to the canonical shape of ``schemas/interfaceNuu.xsd`` before it
is validated, so that what real SNE documents vary in never rejects a whole demand.

Why a pass of its own rather than a looser XSD: the XSD stays the exact description of what we *write* (outbound
documents are checked against it), and every liberty taken on reading is listed here, in one place, with a test:

* children in any order within a structure: they are put back in the XSD's order;
* surrounding spaces in a value or a ``code`` attribute: trimmed (the SNE's exports pad some fields);
* an empty optional element (``<mel/>``, ``<telPortable/>``, ``<listeRessourceRecuePersACharge/>``): absent;
* an element the format does not know (of the SNE's namespace or another one), and what the contracts cannot hold
  (a second ``cotitulaire``): taken out of the record and **kept** (:class:`KeptElement`: its path and its XML),
  so that the decoder can carry it in ``Demande.extensions`` and nothing the SNE sent is lost. Each one is logged as
  a warning with its path — never with its content, which may be personal.

What remains after this pass is validated by the XSD as before: a missing required element, a malformed date or an
unknown code still rejects the record, with its path and the fix.

The order and cardinality of each structure are read from the XSD itself (:func:`structure`), so the pass can never
disagree with the schema the records are then validated against.

Most records need none of it: :func:`is_canonical` tells, in one pass over the elements, that a record has nothing
to trim, drop or keep aside; if the XSD (whose ``xs:any`` only admits *other* namespaces) then validates it as it
came, its order and names are the canonical ones too, and the Python walk over its ~150 elements — a third of a bulk
import's time — is skipped (``plugins.sne.bulk``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import structlog
from lxml import etree

from hub.xml import element_path, local_name, make_parser
from plugins.sne.schema import NS, SCHEMA_DIR

__all__ = ["KeptElement", "Shape", "structure", "canonicalize", "is_canonical", "CONTRACT_LIMITS"]

log = structlog.get_logger(__name__)

XS = "http://www.w3.org/2001/XMLSchema"
_UNBOUNDED = 10**9

#: Elements the XSD allows more often than the contracts can hold: the extra occurrences are kept aside
#: (a demand has one co-applicant in CERFA 14069 and in ``contracts.Demande``).
CONTRACT_LIMITS = {"cotitulaire": 1}


@dataclass(frozen=True)
class KeptElement:
    """An element taken out of a record because the contracts have no place for it, kept whole. ``path`` is its
    location in the document as received (``interfaceNuu/demande/demandeLogement/numDossierLocal``), ``xml`` its
    serialisation; ``reason`` says why it was set aside."""

    path: str
    xml: str
    reason: str


@dataclass(frozen=True)
class Child:
    name: str
    shape: str | None           # key of the child's structure in :func:`structure`; None for a value
    optional: bool
    max_occurs: int


@dataclass(frozen=True)
class Shape:
    """The children a structure allows, in the XSD's order; ``by_tag`` finds one by its Clark name (the pass runs
    on every record of a bulk import: one dict lookup per element)."""

    children: tuple[Child, ...]
    by_tag: dict[str, tuple[int, Child]] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_tag", {f"{{{NS}}}{child.name}": (position, child)
                                            for position, child in enumerate(self.children)})


def _max(element: etree._Element) -> int:
    value = element.get("maxOccurs", "1")
    return _UNBOUNDED if value == "unbounded" else int(value)


@lru_cache(maxsize=1)
def structure(xsd: Path = SCHEMA_DIR / "interfaceNuu.xsd") -> dict[str, Shape]:
    """Every structure of the XSD, by key: a named complex type's name, or ``element:<name>`` for a global element,
    or ``<parent key>/<name>`` for an anonymous type declared inline. Groups are expanded, choices flattened (each
    alternative keeps its place), ``xs:any`` ignored (this pass decides itself what is unknown)."""
    tree = etree.parse(str(xsd), make_parser())
    root = tree.getroot()
    shapes: dict[str, Shape] = {}
    groups = {g.get("name"): g for g in root.iterfind(f"{{{XS}}}group")}
    globals_ = {e.get("name"): e for e in root.iterfind(f"{{{XS}}}element")}

    def particles(container: etree._Element, key: str, optional: bool, repeated: bool = False) -> list[Child]:
        found: list[Child] = []
        for node in container:
            if not isinstance(node.tag, str):
                continue
            tag = etree.QName(node).localname
            if tag in ("sequence", "choice", "all"):
                inner_optional = optional or node.get("minOccurs") == "0" or tag == "choice"
                found.extend(particles(node, key, inner_optional, repeated or _max(node) > 1))
            elif tag == "group":
                group = groups[node.get("ref").split(":")[-1]]
                found.extend(particles(group, key, optional or node.get("minOccurs") == "0", repeated))
            elif tag == "element":
                found.append(element_child(node, key, optional, repeated))
        return found

    def element_child(node: etree._Element, key: str, optional: bool, repeated: bool) -> Child:
        ref = node.get("ref")
        declaration = globals_[ref.split(":")[-1]] if ref else node
        name = declaration.get("name")
        is_optional = optional or node.get("minOccurs") == "0"
        most = _UNBOUNDED if repeated else _max(node)
        type_name = declaration.get("type")
        if type_name is not None:
            local = type_name.split(":")[-1]
            return Child(name, local if local in complex_types else None, is_optional, most)
        inline = declaration.find(f"{{{XS}}}complexType")
        if inline is None:
            return Child(name, None, is_optional, most)
        inline_key = f"{key}/{name}"
        shapes[inline_key] = Shape(tuple(particles(inline, inline_key, False)))
        return Child(name, inline_key, is_optional, most)

    complex_types = {t.get("name"): t for t in root.iterfind(f"{{{XS}}}complexType")}
    for name, declaration in complex_types.items():
        shapes[name] = Shape(tuple(particles(declaration, name, False)))
    for name, declaration in globals_.items():
        type_name = declaration.get("type")
        if type_name is not None:
            shapes[f"element:{name}"] = shapes.get(type_name.split(":")[-1], Shape(()))
    return shapes


_IN_NS = f"{{{NS}}}"
_LIMITED = {f"{{{NS}}}{name}": limit for name, limit in CONTRACT_LIMITS.items()}


def is_canonical(record: etree._Element) -> bool:
    """True when :func:`canonicalize` would leave ``record`` as it is, *provided the XSD validates it as it is*:
    no value to trim, no empty leaf, no comment, nothing of another namespace (the XSD's ``xs:any`` would admit
    it), no contract limit exceeded. A record of the target namespace out of order or with an unknown element does
    not validate, so the caller then walks it. One pass, no allocation per element: a third of :func:`_walk`."""
    counts: dict[str, int] = {}
    for element in record.iter():
        tag = element.tag
        if not isinstance(tag, str) or not tag.startswith(_IN_NS):
            return False
        if tag in _LIMITED:
            counts[tag] = counts.get(tag, 0) + 1       # counted over the record: stricter than per parent
            if counts[tag] > _LIMITED[tag]:
                return False
        values = element.values()                    # each lxml accessor builds its result: read each once
        for value in values:
            if value[:1].isspace() or value[-1:].isspace():
                return False
        if not len(element):
            text = element.text
            if text:
                if text[0].isspace() or text[-1].isspace():
                    return False
            elif not values:
                return False
    return True


def _is_empty(element: etree._Element) -> bool:
    return len(element) == 0 and not (element.text or "").strip() and not element.attrib


def _kept(element: etree._Element, reason: str) -> KeptElement:
    path = element_path(element)
    log.warning("sne_element_kept", path=path, reason=reason)
    return KeptElement(path=path, xml=etree.tostring(element, encoding="unicode", with_tail=False), reason=reason)


def canonicalize(record: etree._Element, *, keep_unknown: bool = True, shape: str | None = None) -> list[KeptElement]:
    """Bring ``record`` to its canonical shape, in place, and return what was set aside. ``record`` is a global
    element of the XSD (``demande``, ``radiation``…) unless ``shape`` names its type (``Entete``). With
    ``keep_unknown`` false, unknown elements are left where they are (the XSD then reports them): records whose
    contract has no place to keep them must not lose them silently."""
    shapes = structure()
    kept: list[KeptElement] = []
    _walk(record, shapes.get(shape or f"element:{local_name(record)}"), shapes, kept, keep_unknown)
    return kept


def _walk(element: etree._Element, shape: Shape | None, shapes: dict[str, Shape], kept: list[KeptElement],
          keep_unknown: bool) -> None:
    for name, value in element.items():
        if value[:1].isspace() or value[-1:].isspace():
            element.set(name, value.strip())
    if len(element) == 0:
        text = element.text
        if text and (text[0].isspace() or text[-1].isspace()):
            element.text = text.strip()
        return
    by_tag = shape.by_tag if shape is not None else {}
    seen: dict[str, int] = {}
    placed: list[tuple[int, int, etree._Element]] = []
    in_order = True
    for order, child in enumerate(list(element)):
        tag = child.tag
        if not isinstance(tag, str):                # comments and processing instructions carry nothing
            element.remove(child)
            continue
        spec = by_tag.get(tag)
        if spec is None:
            if keep_unknown:
                kept.append(_kept(child, "unknown element"))
                element.remove(child)
            else:
                placed.append((_UNBOUNDED, order, child))
            continue
        position, description = spec
        if description.optional and _is_empty(child):
            element.remove(child)
            continue
        count = seen[tag] = seen.get(tag, 0) + 1
        limit = min(description.max_occurs, CONTRACT_LIMITS.get(description.name, _UNBOUNDED))
        if count > limit and keep_unknown:
            kept.append(_kept(child, f"{description.name}: at most {limit} carried"))
            element.remove(child)
            continue
        _walk(child, shapes.get(description.shape) if description.shape else None, shapes, kept, keep_unknown)
        if placed and position < placed[-1][0]:
            in_order = False
        placed.append((position, order, child))
    if not in_order:
        placed.sort(key=lambda item: (item[0], item[1]))
        for _, _, child in placed:
            element.append(child)                    # append moves: the children end in the XSD's order
