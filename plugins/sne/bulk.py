"""Streaming import of an SNE extraction: a large ``interfaceNuu`` document of ``demande`` records (a department's
whole stock, up to 10⁶ demands), read in constant memory.

Each record becomes a :class:`~hub.BulkRecord` keyed by its numéro unique, fingerprinted by the SHA-256 of its
decoded demand (the contract's canonical JSON: formatting, element order of optional parts and the file's date do
not count as changes). The hub looks up the fingerprint it last imported for the key and calls ``build``:
``build(None)`` gives ``demande_enregistree.v1``, ``build(other)`` gives ``demande_modifiee.v1``; an unchanged
record is not built at all. An extraction is a snapshot: neither ``typeFichier`` nor ``typeMouvement`` chooses the
event. Records go through the same tolerant pass as unit documents (:mod:`plugins.sne.tolerance`), so an unknown
element is kept in ``Demande.extensions`` rather than rejecting the demand.

A bad record is yielded as a :class:`~hub.RecordReject` (its line, the reason, its bytes) and the import goes on;
damage to the document itself (malformed or truncated XML, wrong root or namespace, DOCTYPE) raises a
:class:`~hub.DecodeError` once the good records before it were yielded.

Two processes can share an import (``owned``, :class:`hub.core.bulk.ShardedBulk`): each parses the whole file —
cheap, in C — but serialises, validates and decodes only the records it owns, the costly part. With one reader,
the reader can instead leave a share of the records to the journaling process (``defer``,
:class:`hub.core.bulk.SplitBulk`): it sends them serialised, and :class:`DeferredSneRecord` decodes them there with the
same code, reporting the same file, line, record and field.

The usual record is checked by one validation against a strict schema (:mod:`plugins.sne.strict`) that accepts
only canonical, valid records; any other is checked as a unit document is (:func:`is_canonical`, the XSD, the
tolerant walk).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from functools import lru_cache
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any

from lxml import etree
from pydantic import ValidationError

from contracts import Demande, DemandeEnregistree, DemandeModifiee, Envelope, LegalEntity
from contracts.enums import AuteurModification
from hub import BulkRecord, ContractError, DecodeError, DeferredRecord, ErrorLocation, RecordReject, RejectError
from hub.xml import XmlLimits, XmlSchema, element_path, iter_records, make_parser, schema_error
from plugins.sne.codec import envelope_for, fact_time, resolve_entity
from plugins.sne.mapping import demande_to_dict, entite_from
from plugins.sne.messages import RECORD_TAGS
from plugins.sne.schema import VERSIONS, interface_schema, q
from plugins.sne.strict import plainly_canonical, strict_schema
from plugins.sne.tolerance import KeptElement, canonicalize, is_canonical
from plugins.sne.xmlutil import MappingError, Reader

__all__ = ["iter_bulk", "fingerprint"]

_ENTETE = q("entete")
_DEMANDE = q("demande")
_ROOT = q("interfaceNuu")
BULK_LIMITS = XmlLimits(max_bytes=None)


def fingerprint(demande: Demande) -> str:
    """SHA-256 of the demand's canonical JSON: equal for equal content, whatever the XML layout."""
    return "sha256:" + hashlib.sha256(demande.model_dump_json().encode()).hexdigest()


class _Header:
    """What the extraction's header says, read as it streams by."""

    def __init__(self) -> None:
        self.date_fichier: datetime | None = None
        self.emetteur: LegalEntity | None = None
        self.checked_root = False

    def copy(self) -> _Header:
        other = _Header()
        other.date_fichier, other.emetteur, other.checked_root = self.date_fichier, self.emetteur, self.checked_root
        return other


def iter_bulk(path: Path, *, default_entity: LegalEntity | None, limits: XmlLimits = BULK_LIMITS,
              owned: Callable[[int], bool] | None = None, defer: Callable[[int], bool] | None = None
              ) -> Iterator[BulkRecord | RecordReject | DeferredRecord | None]:
    """Stream ``path`` (see the module docstring). With ``owned``, a record whose 0-based position it refuses is
    yielded as None, neither serialised, validated nor decoded: another reader decodes it
    (:class:`hub.core.bulk.ShardedBulk`); the header and damage to the document are read all the same. With
    ``defer``, a record whose position it accepts is yielded serialised but not decoded, as a
    :class:`DeferredSneRecord` that the journaling process decodes (:class:`hub.core.bulk.SplitBulk`)."""
    origin = path.name
    header = _Header()
    index = 0
    for element in iter_records(path, tags={_ENTETE, *RECORD_TAGS}, origin=origin, expected_root=_ROOT,
                                limits=limits):
        if not header.checked_root:
            _check_root(element.getparent(), origin)
            header.checked_root = True
        if element.tag == _ENTETE:
            canonicalize(element, shape="Entete")
            header = header.copy()      # a deferred record keeps the header it was read under, as it is now
            _read_header(element, header, origin)
            continue
        index += 1
        if owned is not None and not owned(index - 1):
            yield None
            continue
        raw = etree.tostring(element)
        if defer is not None and defer(index - 1) and _lines_kept(element, raw):
            yield DeferredSneRecord(raw, index, element.sourceline, _siblings(element), origin, header,
                                    default_entity, limits)
            continue
        yield _decode(element, _Place(origin, index, 0), header, default_entity, raw, limits)


@dataclass(frozen=True)
class _Place:
    """Where a record is: its file, its 1-based position, and what to add to a line of the element being decoded to
    get the line in the file (0 when decoded from the file itself, the record's line - 1 from its serialisation)."""

    origin: str
    index: int
    shift: int
    #: for a record decoded from its serialisation: its position among its streamed siblings and their number
    siblings: tuple[int, int] | None = None

    def line(self, element: etree._Element) -> int | None:
        return element.sourceline + self.shift if element.sourceline is not None else None

    def situate(self, element: etree._Element) -> None:
        """Give a record decoded from its serialisation the streamed document's root and siblings, before a pass
        that names elements by their path from the root (the tolerant pass's kept elements and warnings). Only
        then: the usual record never needs it, and it costs ~30 µs."""
        if self.siblings is not None:
            _in_place(element, self.siblings)


def _decode(element: etree._Element, place: _Place, header: _Header, default_entity: LegalEntity | None, raw: bytes,
            limits: XmlLimits) -> BulkRecord | RecordReject:
    """Check and decode one record, wherever it is decoded (the reader, or the journaling process from ``raw``)."""
    origin, index, line = place.origin, place.index, place.line(element)
    try:
        if len(raw) > limits.max_record_bytes:
            raise DecodeError(f"record of {len(raw)} bytes exceeds the limit of {limits.max_record_bytes}",
                              location=ErrorLocation(file=origin, line=line, record=index))
        if element.tag != _DEMANDE:
            raise DecodeError(f"a bulk extraction holds demande records only; send {element.tag.split('}')[1]} "
                              "as a unit message", location=ErrorLocation(file=origin, line=line, record=index,
                                                                          field=element_path(element, element)))
        strict, schema = strict_schema(), interface_schema()
        if strict is not None and plainly_canonical(strict, element, raw):
            kept: list[KeptElement] = []     # the usual record: one validation in C proves it canonical and valid
        elif is_canonical(element) and not schema.problems(element):
            kept = []                        # canonical, but refused by the strict schema (a leap day…)
        else:
            place.situate(element)
            kept = canonicalize(element)
            _assert_valid(schema, element, place)
        return _record(element, place, header, default_entity, raw, kept)
    except RejectError as exc:
        return RecordReject(error=exc, line=line, raw=raw)


def _assert_valid(schema: XmlSchema, element: etree._Element, place: _Place) -> None:
    """``schema.assert_valid`` with the problems' lines those of the file (a record decoded from its serialisation
    counts its lines from 1)."""
    found = schema.problems(element)
    if found:
        if place.shift:
            found = [replace(p, line=p.line + place.shift) if p.line is not None else p for p in found]
        raise schema_error(found, origin=place.origin, schema=schema.path.name, record=place.index)


def _lines_kept(element: etree._Element, raw: bytes) -> bool:
    """Whether the record's serialisation has its line breaks where the file has them, so that a line counted in
    ``raw`` plus the record's line - 1 is the file's line (what a rejection decoded from ``raw`` reports).

    lxml writes a start tag on one line and a character reference to a line feed as a line feed: a record written
    so in the file is decoded by the reader. Checked on the record's last element (a leaf: every line break before
    it counts), which costs a few microseconds."""
    last = element
    while len(last):
        last = last[-1]
    if not isinstance(last.tag, str) or last.sourceline is None or element.sourceline is None:
        return False                         # a comment or processing instruction last: left to the reader
    start = len(raw)
    while True:
        start = raw.rfind(b"<", 0, start)
        if start < 0:
            return False
        if raw[start + 1:start + 2] != b"/":
            break
    end = raw.find(b">", start)
    return end >= 0 and raw.count(b"\n", 0, end) == last.sourceline - element.sourceline


def _siblings(element: etree._Element) -> tuple[int, int]:
    """The record's position among the elements of its tag the streamed document holds now, and their number: the
    paths of kept elements and warnings (``interfaceNuu/demande[2]/…``) name it, the journaling process rebuilds it."""
    parent = element.getparent()
    if parent is None:
        return 0, 1
    same = [child for child in parent if child.tag == element.tag]
    return same.index(element), len(same)


def _in_place(element: etree._Element, siblings: tuple[int, int]) -> None:
    """Put a record parsed alone under a root like the streamed document's, with as many (empty) siblings of its
    tag around it, so that every path computed while decoding it is the reader's."""
    root = etree.Element(_ROOT, nsmap=element.nsmap)      # the prefixes of the file: kept XML keeps them
    position, count = siblings
    for at in range(count):
        if at == position:
            root.append(element)
        else:
            etree.SubElement(root, element.tag)


class DeferredSneRecord(DeferredRecord):
    """A record serialised by the reader, decoded by the journaling process (:class:`hub.core.bulk.SplitBulk`).

    It carries what the decoding needs besides the bytes: the record's position and line (error locations), the
    file's header (the reader shares one object per chunk, so it is pickled once per chunk) and the settings' entity.
    Decoded from the serialisation, the record's lines count from 1: every line reported is shifted by the record's
    line - 1, which the reader checked gives the file's lines (``_lines_kept``)."""

    __slots__ = ("raw", "index", "line", "siblings", "origin", "header", "default_entity", "limits")

    def __init__(self, raw: bytes, index: int, line: int, siblings: tuple[int, int], origin: str, header: _Header,
                 default_entity: LegalEntity | None, limits: XmlLimits):
        self.raw, self.index, self.line, self.siblings, self.origin = raw, index, line, siblings, origin
        self.header, self.default_entity, self.limits = header, default_entity, limits

    def __reduce__(self) -> tuple[Any, ...]:
        return (DeferredSneRecord, (self.raw, self.index, self.line, self.siblings, self.origin, self.header,
                                    self.default_entity, self.limits))

    def decode(self) -> BulkRecord | RecordReject:
        element = etree.fromstring(self.raw, _fragment_parser())
        place = _Place(self.origin, self.index, self.line - element.sourceline, self.siblings)
        return _decode(element, place, self.header, self.default_entity, self.raw, self.limits)


@lru_cache(maxsize=1)
def _fragment_parser() -> etree.XMLParser:
    """The options of the streaming reader (hub.xml_safe): nothing resolved, nothing fetched, CDATA as text."""
    return make_parser()


def _check_root(root: etree._Element | None, origin: str) -> None:
    version = root.get("versionInterface") if root is not None else None
    if version not in VERSIONS:
        raise DecodeError(f"versionInterface {version!r} is not one this connector reads ({', '.join(VERSIONS)})",
                          location=ErrorLocation(file=origin, line=root.sourceline if root is not None else None,
                                                 field="interfaceNuu/@versionInterface"))


def _read_header(element: etree._Element, header: _Header, origin: str) -> None:
    reader = Reader(element)
    value = reader.text("dateFichier")
    try:
        header.date_fichier = datetime.fromisoformat(value) if value else None
    except ValueError:
        raise DecodeError(f"dateFichier {value!r} is not a date-time",
                          location=ErrorLocation(file=origin, line=element.sourceline,
                                                 field="interfaceNuu/entete/dateFichier")) from None
    emetteur = entite_from(reader.child("emetteur"))
    if emetteur is not None:
        try:
            header.emetteur = LegalEntity.model_validate(emetteur)
        except ValidationError as exc:
            raise ContractError.from_validation(exc, location=ErrorLocation(file=origin, line=element.sourceline),
                                                prefix="entete.emetteur") from None


def _record(element: etree._Element, place: _Place, header: _Header,
            default_entity: LegalEntity | None, raw: bytes, kept: list[KeptElement]) -> BulkRecord:
    origin, index, line = place.origin, place.index, place.line(element)
    location = ErrorLocation(file=origin, line=line, record=index)
    reader = Reader(element)
    logement = reader.child("demandeLogement")
    try:
        numero = logement.text("numUnique")
        if numero is None:
            raise MappingError("numUnique is missing", logement.element)
        payload = demande_to_dict(logement)
        payload["extensions"] = [{"path": k.path, "xml": k.xml, "reason": k.reason} for k in kept]
        guichet_reader = logement.child("guichetEnregistrement")
        guichet: Any = logement.text("numGuichet")
        named: dict[str, Any] | None = None
        if guichet_reader is not None:
            guichet = guichet_reader.text("code") or entite_from(guichet_reader)
            named = None if isinstance(guichet, str) else guichet
        modified_on = reader.date("dateModification")
    except MappingError as exc:
        raise DecodeError(exc.reason, location=ErrorLocation(file=origin, line=place.line(exc.element), record=index,
                                                             field=element_path(exc.element, element))) from None
    try:
        demande = Demande.model_validate(payload)
        if isinstance(guichet, dict):
            guichet = LegalEntity.model_validate(guichet)
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=location, prefix="data.demande") from None
    entity = resolve_entity(named, header.emetteur or default_entity, location)
    canonical = demande.model_dump_json()
    digest = "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()   # fingerprint(demande), dumped once
    file_day = (header.date_fichier or datetime.now(timezone.utc)).date()
    return BulkRecord(key=numero, fingerprint=digest, line=line, raw=raw,
                      build=_Builder(numero, canonical, guichet, entity, digest, modified_on or file_day, location,
                                     demande))


@dataclass(frozen=True)
class _Builder:
    """The ``build`` of one record: registration when the hub never saw the key, else modification.

    An object rather than a closure so that a record can be pickled: the hub reads a large extraction in a second
    process and sends it the records (:mod:`hub.core.bulk_stream`). It holds the demand as its canonical JSON (the
    text the fingerprint hashes), validated again only when the record is built: unpickling nested pydantic models
    cost the journaling process more than validating the JSON, and an unchanged record is never built at all.

    The process that decoded the record keeps the ``Demande`` it validated (``validated``) and builds from it
    without validating it again: the journaling process decodes a share of the records itself (``SplitBulk``), and
    one import in a single process decodes them all. The demand is never pickled (``__reduce__``): a record sent by
    another process carries only the JSON, validated here as before.

    An extraction does not say who changed a demand: the desk named by the record, or else the legal entity
    answerable for the extraction, is recorded as the desk behind the change."""

    numero: str
    demande_json: str
    guichet: Any
    entity: LegalEntity
    digest: str
    modified_on: date
    location: ErrorLocation
    #: the demand this process validated from the record (``demande_json`` is its dump); None once sent elsewhere
    validated: Demande | None = field(default=None, compare=False, repr=False)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_Builder, (self.numero, self.demande_json, self.guichet, self.entity, self.digest, self.modified_on,
                           self.location))

    def __call__(self, previous: str | None) -> list[Envelope[Any]]:
        numero, guichet = self.numero, self.guichet
        try:
            demande = self.validated
            if demande is None:
                demande = Demande.model_validate_json(self.demande_json)
            if previous is None:
                registered = demande.date_enregistrement
                payload: Any = DemandeEnregistree(numero_unique=numero, demande=demande, guichet=guichet,
                                                  date_enregistrement=registered)
                when = fact_time(registered, datetime.now(timezone.utc))
            else:
                payload = DemandeModifiee(numero_unique=numero, demande=demande, champs_modifies=(),
                                          auteur=AuteurModification.GUICHET, guichet=guichet or self.entity,
                                          date_modification=self.modified_on)
                when = fact_time(self.modified_on, datetime.now(timezone.utc))
        except ValidationError as exc:
            raise ContractError.from_validation(exc, location=self.location, prefix="data") from None
        return [envelope_for(payload, entity=self.entity, when=when,
                             sourcemessageid=f"sne:{numero}:{self.digest[7:27]}")]
