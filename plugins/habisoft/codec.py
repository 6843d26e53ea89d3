"""Habisoft documents, both ways: a ``fichierPartage`` of ``evenement`` records ↔ events.

Decoding, in order: hardened parse (:mod:`hub.xml`) with the root checked (name, namespace) → XSD validation
of the whole document → each ``evenement`` read by the binder's rules and validated against its contract. A problem
inside one ``evenement`` rejects it alone (:class:`~hub.RecordReject`); a problem in the header or the root rejects
the document (:class:`~hub.DecodeError`). Every error carries the file, the line and a field path.

A document is either a ``fichierPartage`` (a header, then any number of ``evenement``) or, for a unit message, one
``evenement`` as the root. Encoding writes the latter, one file per event (``<event id>.xml``), valid against the same
XSD, with the hub's event id as the ``evenement``'s ``id`` so that Habisoft can recognise a redelivery.

The "demande Poulidor" flag: Habisoft marks a candidate ranked behind another on a dwelling (a CAL decision
*attribution en rang* 2 or more) so that the demand is reconsidered for the next suitable dwelling. The contracts
derive it from the decision, so it is written on such decisions and, when Habisoft sends it, checked against the
decision rather than stored.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from lxml import etree
from pydantic import ValidationError

from contracts import REGISTRY, DecisionCal, Envelope, EventData, LegalEntity
from contracts.enums import TypeDecisionCal
from hub import ContractError, DecodeError, ErrorLocation, RawMessage, RecordReject, RejectError
from hub.xml import (
    DEFAULT_LIMITS, XmlLimits, element_path, parse, record_alone, schema_error, split_by_record,
)
from plugins.habisoft.binder import BindingError, read_model, write_model
from plugins.habisoft.codes import EVENEMENTS, EVENT_TYPES
from plugins.habisoft.schema import NS, PREFIX, VERSION, habisoft_schema, q

__all__ = ["SOURCE", "decode_document", "decode_evenement", "encode_event", "new_document", "write_evenement",
           "is_poulidor", "SCHEMA_NAME"]

SOURCE = "habisoft"
SCHEMA_NAME = "habisoft.xsd"
PARIS = ZoneInfo("Europe/Paris")
_EVENEMENT = q("evenement")
_PAYLOADS = {q(name): name for name in EVENEMENTS}


def is_poulidor(data: EventData) -> bool:
    """Whether Habisoft flags this decision's candidate as a "demande Poulidor" (ranked 2nd or later)."""
    return (isinstance(data, DecisionCal) and data.decision is TypeDecisionCal.ATTRIBUTION_RANG
            and data.rang is not None and data.rang >= 2)


def _aware(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def _entity(element: etree._Element | None, location: ErrorLocation, prefix: str) -> LegalEntity | None:
    if element is None:
        return None
    try:
        return LegalEntity.model_validate(read_model(element, LegalEntity))
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=location, prefix=prefix) from None


def decode_evenement(element: etree._Element, *, origin: str, record: int | None) -> tuple[EventData, LegalEntity,
                                                                                               datetime, str]:
    """One ``evenement``, already XSD-valid: (payload, legal entity, time, Habisoft's id)."""
    location = ErrorLocation(file=origin, line=element.sourceline, record=record)
    payload_element = next((child for child in element if child.tag in _PAYLOADS), None)
    if payload_element is None:
        raise DecodeError("evenement carries no payload element", location=location)
    model = REGISTRY.model_for(EVENEMENTS[_PAYLOADS[payload_element.tag]])
    try:
        values = read_model(payload_element, model)
    except BindingError as exc:
        raise DecodeError(exc.reason, location=ErrorLocation(
            file=origin, line=exc.element.sourceline, record=record, field=element_path(exc.element))) from None
    try:
        data = model.model_validate(values)
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=location, prefix="data") from None
    entity = _entity(element.find(q("entite")), location, "entite")
    subject = element.find(q("numeroUnique"))
    if subject is not None and (subject.text or "").strip() != data.subject():
        raise DecodeError("the evenement's numeroUnique differs from the one of its content",
                          location=ErrorLocation(file=origin, line=subject.sourceline, record=record,
                                                 field=element_path(subject)))
    flag = element.find(q("demandePoulidor"))
    if flag is not None and (flag.text or "").strip() in ("true", "1") and not is_poulidor(data):
        raise DecodeError("demandePoulidor is true but the event is not a CAL decision ranking the candidate 2nd "
                          "or later (attribution_rang, rang >= 2)",
                          location=ErrorLocation(file=origin, line=flag.sourceline, record=record,
                                                 field=element_path(flag)))
    return data, entity, _aware(element.get("date")), element.get("id")


def decode_document(raw: RawMessage, *, limits: XmlLimits = DEFAULT_LIMITS) -> Iterator[Envelope[Any] | RecordReject]:
    """Decode one ``fichierPartage`` document (see the module docstring)."""
    origin = raw.origin
    root = parse(raw.body, origin=origin, limits=limits, expected_root=(q("fichierPartage"), _EVENEMENT))
    if root.tag == _EVENEMENT:
        yield _decode_unit(root, raw)
        return
    outside, inside = split_by_record(root, habisoft_schema().problems(root), {_EVENEMENT})
    if outside:
        raise schema_error(outside, origin=origin, schema=SCHEMA_NAME)
    index = 0
    for position, child in enumerate(root):
        if child.tag != _EVENEMENT:
            continue
        index += 1
        try:
            if position in inside:
                raise schema_error(inside[position], origin=origin, schema=SCHEMA_NAME, record=index)
            data, entity, when, identifier = decode_evenement(child, origin=origin, record=index)
            yield REGISTRY.build(data, source=SOURCE, entity=entity, time=when,
                                 sourcemessageid=f"habisoft:{identifier}")
        except RejectError as exc:
            headers = [c for c in root if c.tag != _EVENEMENT]
            yield RecordReject(error=exc, line=child.sourceline, raw=etree.tostring(child),
                               replay=record_alone(root, headers, child))


def _decode_unit(root: etree._Element, raw: RawMessage) -> Envelope[Any] | RecordReject:
    """A unit message: one ``evenement`` as the root. Invalid, it is one rejected record."""
    try:
        habisoft_schema().assert_valid(root, origin=raw.origin, record=1)
        data, entity, when, identifier = decode_evenement(root, origin=raw.origin, record=1)
        return REGISTRY.build(data, source=SOURCE, entity=entity, time=when, sourcemessageid=f"habisoft:{identifier}")
    except RejectError as exc:
        return RecordReject(error=exc, line=root.sourceline, raw=raw.body)


def new_document(when: datetime, emetteur: LegalEntity | None = None) -> etree._Element:
    root = etree.Element(q("fichierPartage"), nsmap={PREFIX: NS}, version=VERSION)
    entete = etree.SubElement(root, q("entete"))
    etree.SubElement(entete, q("dateFichier")).text = when.isoformat()
    if emetteur is not None:
        write_model(etree.SubElement(entete, q("emetteur")), emetteur)
    return root


def write_evenement(parent: etree._Element, event: Envelope[Any]) -> etree._Element:
    """Append the ``evenement`` for ``event``; :class:`RejectError` for a type Habisoft does not carry."""
    name = EVENT_TYPES.get(event.type)
    if name is None:
        raise RejectError(f"the Habisoft format carries no {event.type} event")
    element = etree.SubElement(parent, _EVENEMENT, id=event.id, date=event.time.isoformat())
    _fill_evenement(element, event, name)
    return element


def _fill_evenement(element: etree._Element, event: Envelope[Any], name: str) -> None:
    if event.subject is not None:
        etree.SubElement(element, q("numeroUnique")).text = event.subject
    write_model(etree.SubElement(element, q("entite")), event.entity)
    write_model(etree.SubElement(element, q(name)), event.data)
    if is_poulidor(event.data):
        etree.SubElement(element, q("demandePoulidor")).text = "true"


def encode_event(event: Envelope[Any]) -> bytes:
    """The unit message for one event (an ``evenement`` as the root), checked against the XSD before it leaves."""
    name = EVENT_TYPES.get(event.type)
    if name is None:
        raise RejectError(f"the Habisoft format carries no {event.type} event")
    root = etree.Element(_EVENEMENT, nsmap={PREFIX: NS}, id=event.id, date=event.time.isoformat())
    _fill_evenement(root, event, name)
    problems = habisoft_schema().problems(root)
    if problems:
        first = problems[0]
        raise RejectError(f"{event.type} rendered for Habisoft does not validate: {first.field}: {first.message}",
                          location=ErrorLocation(file=f"{event.id}.xml", field=first.field))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
