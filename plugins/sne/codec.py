"""``interfaceNuu`` documents, both ways: one inbound document → envelopes (or per-record rejections), one event →
one outbound document.

Decoding, in order: hardened parse (:mod:`hub.xml`: no DTD, no entity, size limit) with the root checked
(name, namespace) → the tolerant pass (:mod:`plugins.sne.tolerance`: order, spaces, empty elements, unknown elements
kept aside) on the header and each record → XSD validation of the whole document → each record decoded and
validated against its contract.
A problem inside one record rejects that record only (:class:`~hub.RecordReject`, with its line and bytes); a
problem outside any record (header, root, unknown top-level element) rejects the whole document
(:class:`~hub.DecodeError`). Every error carries the file, the line and a field path.

A record's ``sourcemessageid`` is a digest of what it says (type, answerable entity, its date, canonical payload),
not of the document that brought it: the SNE's "since <day>" services return overlapping documents, and the same
radiation fetched twice must be journaled once.

Encoding writes a document holding one record, valid against the same XSD (checked before it leaves), with the
event's time as ``dateFichier`` so that rendering the same event twice gives the same bytes (idempotent delivery).
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Iterator
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from pydantic import ValidationError

from contracts import REGISTRY, Envelope, EventData, LegalEntity
from hub import ContractError, DecodeError, ErrorLocation, RawMessage, RecordReject, RejectError
from hub.xml import (
    DEFAULT_LIMITS, XmlLimits, element_path, local_name, parse, record_alone, schema_error, split_by_record,
)
from plugins.sne import codes
from plugins.sne.codes import TypeFichier
from plugins.sne.messages import (
    RECORD_TAGS,
    DecodedMessage,
    DocumentContext,
    decode_record,
    type_fichier_of,
    write_record,
)
from plugins.sne.schema import DEFAULT_VERSION, NS, PREFIX, interface_schema, q
from plugins.sne.settings import SNE_ENTITY
from plugins.sne.soap import anomalies_of
from plugins.sne.tolerance import KeptElement, canonicalize
from plugins.sne.xmlutil import MappingError

__all__ = ["decode_document", "encode_event", "new_document", "envelope_for", "validated_payload", "fact_time",
           "entity_from_header", "resolve_entity", "SOURCE"]

#: The envelope's ``source`` for events this connector puts on the hub.
SOURCE = "sne"
SCHEMA_NAME = "interfaceNuu.xsd"
PARIS = ZoneInfo("Europe/Paris")


def fact_time(day: date | None, fallback: datetime) -> datetime:
    """The envelope time of a fact known by its day: midnight, Paris time (where the SNE's dates are given)."""
    if day is None:
        return fallback
    return datetime.combine(day, time(0), tzinfo=PARIS)


def entity_from_header(root: etree._Element, origin: str) -> LegalEntity | None:
    """The ``entete/emetteur`` legal entity, if the document names one."""
    emetteur = root.find(f"{q('entete')}/{q('emetteur')}")
    if emetteur is None:
        return None
    try:
        return LegalEntity(siren=emetteur.findtext(q("siren")), nom=emetteur.findtext(q("raisonSociale")))
    except ValidationError as exc:
        raise ContractError.from_validation(
            exc, location=ErrorLocation(file=origin, line=emetteur.sourceline), prefix="entete.emetteur") from None


def header_time(root: etree._Element) -> datetime | None:
    value = root.findtext(f"{q('entete')}/{q('dateFichier')}")
    return datetime.fromisoformat(value.strip()) if value else None


def document_context(root: etree._Element, origin: str) -> DocumentContext:
    """The header's ``typeFichier`` (CRE when absent, as in the public sample) and day."""
    element = root.find(f"{q('entete')}/{q('typeFichier')}")
    type_fichier = TypeFichier.CREATION
    if element is not None and (element.text or "").strip():
        try:
            type_fichier = codes.TYPE_FICHIER.decode(element.text.strip())
        except codes.UnknownCode as exc:
            raise DecodeError(str(exc), location=ErrorLocation(
                file=origin, line=element.sourceline, field="interfaceNuu/entete/typeFichier")) from None
    when = header_time(root)
    return DocumentContext(type_fichier=type_fichier, date_fichier=when.date() if when else None)


def validated_payload(decoded: DecodedMessage, location: ErrorLocation) -> EventData:
    """Validate a decoded record against its contract; a violation is a :class:`ContractError` whose field path
    is the payload's (``data.demande.demandeur.date_naissance``), without the offending personal value."""
    try:
        return decoded.model.model_validate(decoded.payload)
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=location, prefix="data") from None


def envelope_for(payload: EventData, *, entity: LegalEntity, when: datetime, sourcemessageid: str) -> Envelope[Any]:
    return REGISTRY.build(payload, source=SOURCE, entity=entity, time=when, sourcemessageid=sourcemessageid)


def resolve_entity(named: dict[str, Any] | None, default: LegalEntity | None,
                   location: ErrorLocation) -> LegalEntity:
    """The legal entity answerable for a record: the one the record names (``named``: desk, landlord), else the
    document's sender, else the connector's configured entity, else the SNE itself (:data:`SNE_ENTITY`: the
    system of record answers for what it sends). The law requires one on every change."""
    if named is not None:
        try:
            return LegalEntity.model_validate(named)
        except ValidationError as exc:
            raise ContractError.from_validation(exc, location=location, prefix="entity") from None
    return default if default is not None else SNE_ENTITY


def decode_document(raw: RawMessage, *, default_entity: LegalEntity | None,
                    limits: XmlLimits = DEFAULT_LIMITS) -> Iterator[Envelope[Any] | RecordReject]:
    """Decode one ``interfaceNuu`` document (see the module docstring)."""
    origin = raw.origin
    root = parse(raw.body, origin=origin, limits=limits, expected_root=q("interfaceNuu"))
    kept: dict[int, list[KeptElement]] = {}
    refusals: dict[int, etree._Element] = {}
    as_received: dict[int, bytes] = {}     # each record as it came, for its dead letter if it is rejected
    header: list[etree._Element] = []       # the header as it came (for a rejected record's own document)
    for position, child in enumerate(root):
        if child.tag in RECORD_TAGS:
            as_received[position] = etree.tostring(child)
        elif child.tag == q("entete"):
            header = [copy.deepcopy(child)]
        refusal = child.find(f"{q('demandeLogement')}/{q('listeAnomalie')}") if child.tag == q("demande") else None
        if refusal is not None:
            # the SNE's answer refusing a demand: the demand comes back with its anomalies; it is no event
            refusals[position] = refusal
        if child.tag == q("entete"):
            # the header is no demand's: what it holds beyond the known elements is logged (path only), not kept
            canonicalize(child, shape="Entete")
        elif child.tag in RECORD_TAGS:
            # only a demand has a place (Demande.extensions) for unknown elements; other records keep the XSD's
            # verdict on them rather than lose them
            kept[position] = canonicalize(child, keep_unknown=child.tag == q("demande"))
    problems = interface_schema().problems(root)
    outside, inside = split_by_record(root, problems, RECORD_TAGS)
    if outside:
        raise schema_error(outside, origin=origin, schema=SCHEMA_NAME)
    anomalies = anomalies_of(root.find(q("listeAnomalie"))) if root.find(q("listeAnomalie")) is not None else []
    if anomalies and not any(child.tag in RECORD_TAGS for child in root):
        raise RejectError(f"the document is an SNE anomaly report ({len(anomalies)} anomalies), not events: "
                          + "; ".join(f"{a.code}: {a.libelle}" for a in anomalies[:5]),
                          location=ErrorLocation(file=origin, field="interfaceNuu/listeAnomalie"),
                          problems=[a.as_problem(origin) for a in anomalies])
    default = entity_from_header(root, origin) or default_entity
    context = document_context(root, origin)
    received = header_time(root) or raw.received_at
    index = 0
    for position, child in enumerate(root):
        if child.tag not in RECORD_TAGS:
            continue
        index += 1
        location = ErrorLocation(file=origin, line=child.sourceline, record=index)
        try:
            _refused_by_the_sne(refusals.get(position), location)
            if position in inside:
                raise schema_error(inside[position], origin=origin, schema=SCHEMA_NAME, record=index)
            yield _decode_one(child, location, default, received, context, kept.get(position, []))
        except RejectError as exc:
            received = parse(as_received[position], origin=origin, limits=limits)
            yield RecordReject(error=exc, line=child.sourceline, raw=as_received[position],
                               replay=record_alone(root, header, received))


def _refused_by_the_sne(refusal: etree._Element | None, location: ErrorLocation) -> None:
    """A demand the SNE answered with ``listeAnomalie`` is rejected with the SNE's codes, one problem each."""
    if refusal is None:
        return
    anomalies = anomalies_of(refusal)
    raise RejectError(f"the SNE refused this demand ({len(anomalies)} anomalies): "
                      + "; ".join(f"{a.code}: {a.libelle}" for a in anomalies[:5]),
                      location=ErrorLocation(file=location.file, line=location.line, record=location.record,
                                             field="demande/demandeLogement/listeAnomalie"),
                      problems=[a.as_problem(location.file or "") for a in anomalies])


def _decode_one(child: etree._Element, location: ErrorLocation, default: LegalEntity | None,
                received: datetime, context: DocumentContext, kept: list[KeptElement]) -> Envelope[Any]:
    try:
        decoded = decode_record(child, context, kept)
    except MappingError as exc:
        raise DecodeError(exc.reason, location=ErrorLocation(
            file=location.file, line=exc.element.sourceline, record=location.record,
            field=element_path(exc.element))) from None
    payload = validated_payload(decoded, location)
    entity = resolve_entity(decoded.entity, default, location)
    return envelope_for(payload, entity=entity, when=fact_time(decoded.fact_date, received),
                        sourcemessageid=record_id(payload, entity, decoded.fact_date))


def record_id(payload: EventData, entity: LegalEntity, fact_date: date | None) -> str:
    """The identity of the fact a record states (see the module docstring). The document's date is left out on
    purpose: a record without a date of its own is the same fact in today's answer as in yesterday's."""
    digest = hashlib.sha256("\x1f".join((
        payload.event_type, entity.siren, fact_date.isoformat() if fact_date else "", payload.model_dump_json(),
    )).encode()).hexdigest()
    return f"sne:{digest[:40]}"


def new_document(when: datetime, emetteur: LegalEntity | None, version: str = DEFAULT_VERSION,
                 type_fichier: TypeFichier = TypeFichier.CREATION) -> etree._Element:
    """An empty ``interfaceNuu`` with its header (``typeFichier``, ``dateFichier``, ``emetteur``); records are
    appended to it."""
    root = etree.Element(q("interfaceNuu"), nsmap={PREFIX: NS}, versionInterface=version)
    entete = etree.SubElement(root, q("entete"))
    etree.SubElement(entete, q("typeFichier")).text = type_fichier.value
    etree.SubElement(entete, q("dateFichier")).text = when.isoformat(timespec="milliseconds")
    if emetteur is not None:
        element = etree.SubElement(entete, q("emetteur"))
        etree.SubElement(element, q("siren")).text = emetteur.siren
        etree.SubElement(element, q("raisonSociale")).text = emetteur.nom
    return root


def encode_event(event: Envelope[Any], *, version: str = DEFAULT_VERSION) -> bytes:
    """The ``interfaceNuu`` document for one event. Raises :class:`RejectError` when the SNE format cannot carry
    it, or (a bug of ours) when the result would not validate against the XSD."""
    root = new_document(event.time, event.entity, version, type_fichier_of(event.type))
    write_record(root, event)
    problems = interface_schema().problems(root)
    if problems:
        first = problems[0]
        raise RejectError(f"{event.type} rendered for the SNE does not validate: {first.field}: {first.message}",
                          location=ErrorLocation(file=f"{event.id}.xml", field=first.field))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def describe(root: etree._Element) -> str:
    """One line about a document, for logs: counts by record kind, never content."""
    counts: dict[str, int] = {}
    for child in root:
        if isinstance(child.tag, str):
            counts[local_name(child)] = counts.get(local_name(child), 0) + 1
    return ", ".join(f"{name}={count}" for name, count in sorted(counts.items()))
