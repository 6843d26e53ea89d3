"""The bailleurs' formats (documented in this plugin's README) → canonical events.

Three formats reach the connector, told apart by the message itself (a dead letter replayed comes back without its
file name or its Content-Type): a body whose first character (after a byte-order mark and blanks) is ``{`` or ``[``
is JSON, whose ``format`` says which — ``relais.bailleurs.decisions_cal/1`` (CAL decisions, this module) or
``relais.bailleurs.evenements/1`` (the whole attribution chain, :mod:`plugins.bailleurs.evenements`) —; anything
else is the CSV batch ``relais.bailleurs.caleol_csv/1`` (:mod:`plugins.bailleurs.caleol_csv`).

Each record is checked on its own: a bad one is rejected with its path (``decisions[3].rang``, ``rows[6].rang``)
while the others are journaled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import Any

from pydantic import ValidationError

from contracts import REGISTRY, DecisionCal, Envelope, LegalEntity
from hub import ContractError, DecodeError, ErrorLocation, RawMessage, RecordReject
from hub.json_documents import correlation_of, json_bytes, load_object
from plugins.bailleurs.caleol_csv import decode_csv
from plugins.bailleurs.evenements import decode_evenements
from plugins.bailleurs.records import PARIS
from plugins.bailleurs.wire import DECISIONS_FORMAT, EVENEMENTS_FORMAT
from plugins.bailleurs.stream import streamed

__all__ = ["FORMAT", "FORMATS", "decode_decisions", "decode_message"]

FORMAT = DECISIONS_FORMAT
#: The JSON formats, by their ``format`` value.
FORMATS = (DECISIONS_FORMAT, EVENEMENTS_FORMAT)
_BOM = b"\xef\xbb\xbf"


def decode_message(raw: RawMessage, source: str) -> Iterator[Envelope[Any] | RecordReject]:
    """Any of the connector's formats: JSON (either ``format``) or the CSV batch."""
    head = raw.body[:64].removeprefix(_BOM).lstrip()
    if head[:1] in (b"{", b"["):
        return decode_decisions(raw, source)
    return decode_csv(raw, source)


def decode_decisions(raw: RawMessage, source: str) -> Iterator[Envelope[Any] | RecordReject]:
    """A JSON document: ``decisions_cal/1`` decoded here, ``evenements/1`` handed to its module."""
    large = streamed(raw.body)   # a large document's decisions one at a time (plugins.bailleurs.stream)
    if large is not None and large.head.get("format") == FORMAT:
        yield from _decode(large.head, large.decisions(), large.count, raw, source)
        return
    doc = load_object(raw, members="'format', 'bailleur' and 'decisions' (or 'evenements')")
    if doc.get("format") == EVENEMENTS_FORMAT:
        yield from decode_evenements(doc, raw, source)
        return
    decisions = doc.get("decisions")
    if not isinstance(decisions, list):
        decisions = None
    yield from _decode(doc, decisions or [], len(decisions or []), raw, source)


def _decode(doc: dict[str, Any], decisions: Iterable[Any], count: int, raw: RawMessage,
            source: str) -> Iterator[Envelope[Any] | RecordReject]:
    """The checks and events of a document: ``doc`` its members (``decisions`` aside: ``count`` of them)."""
    if doc.get("format") != FORMAT:
        got = doc.get("format")
        shown = repr(got) if isinstance(got, str) and len(got) <= 80 else "missing" if got is None else "invalid"
        raise DecodeError(f"format: expected one of {', '.join(map(repr, FORMATS))}, got {shown}",
                          location=ErrorLocation(file=raw.origin, field="format"))
    try:
        bailleur = LegalEntity.model_validate(doc.get("bailleur"))
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=ErrorLocation(file=raw.origin), prefix="bailleur") from None
    correlation = correlation_of(raw, doc)
    if not count:
        raise DecodeError("decisions: expected a non-empty list of decisions",
                          location=ErrorLocation(file=raw.origin, field="decisions"))
    def alone(item: Any) -> bytes:
        """This decision as a document of its own: what its dead letter keeps, to be fixed and replayed."""
        return json_bytes({"format": FORMAT, "bailleur": doc.get("bailleur"),
                            "correlation_id": doc.get("correlation_id"), "decisions": [item]})

    for index, item in enumerate(decisions):
        path = f"decisions[{index}]"
        try:
            if not isinstance(item, dict):
                raise DecodeError(f"{path}: expected an object", location=ErrorLocation(file=raw.origin, field=path))
            fields = dict(item)
            decision_id = fields.pop("id", None)
            if not isinstance(decision_id, str) or not decision_id:
                raise DecodeError(f"{path}.id: required, the landlord's identifier of this decision",
                                  location=ErrorLocation(file=raw.origin, field=f"{path}.id", record=index))
            attributes = {"source": source, "entity": bailleur, "sourcemessageid": f"{bailleur.siren}:{decision_id}",
                          "correlationid": correlation}
            envelope = _validated_once(fields, attributes)
            if envelope is None:   # the two passes, whose errors name the decision's own fields
                data = DecisionCal.model_validate(fields)
                envelope = REGISTRY.build(data, time=_occurred(data.date_commission), **attributes)
            yield envelope
        except ValidationError as exc:
            yield RecordReject(ContractError.from_validation(
                exc, location=ErrorLocation(file=raw.origin, record=index), prefix=path),
                raw=json_bytes(item), replay=alone(item))
        except DecodeError as exc:
            yield RecordReject(exc, raw=json_bytes(item), replay=alone(item))


#: The envelope of this format's one event type, validated in one pass by :func:`_validated_once`.
_ENVELOPE = REGISTRY.envelope_model(DecisionCal.event_type)


def _occurred(day: date) -> datetime:
    """When the decision happened: at the commission, not when the file reached us (midnight, Paris time)."""
    return datetime.combine(day, datetime.min.time(), tzinfo=PARIS)


def _validated_once(fields: dict[str, Any], attributes: dict[str, Any]) -> Envelope[Any] | None:
    """The decision's envelope, its payload validated inside the envelope's own validation; None when that pass
    does not give exactly the envelope the two passes would (payload first, then the envelope around it).

    Why: validating the payload alone, then the envelope around the model, ran the payload's model validators twice
    and cost two validator calls and an intermediate model per decision (py-spy: the decoding was most of the
    ingest's time). The envelope's ``time`` and ``subject`` come from the payload, so they are computed from the raw
    fields first and checked against the validated payload afterwards; anything unusual (a date that is not plain
    ISO text, a normalised value, any validation error) goes back to the two passes, which name the decision's own
    fields in their errors (``decisions[3].rang``, not ``decisions[3].data.rang``)."""
    day = fields.get("date_commission")
    if type(day) is not str or len(day) != 10:
        return None
    try:
        occurred = date.fromisoformat(day)
    except ValueError:
        return None
    try:
        envelope = _ENVELOPE.model_validate({"type": DecisionCal.event_type, "time": _occurred(occurred),
                                             "subject": fields.get("numero_unique"), "data": fields, **attributes})
    except ValidationError:
        return None
    data = envelope.data
    if envelope.subject != data.subject() or data.date_commission != occurred:
        return None
    return envelope
