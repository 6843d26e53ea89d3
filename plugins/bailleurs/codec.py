"""The bailleurs' JSON format for CAL decisions (documented in this plugin's README) → canonical events.

One file carries one landlord's decisions of one or more commissions. Each decision is checked on its own: a bad
one is rejected with its path (``decisions[3].rang``) while the others are journaled.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo
from typing import Any

from pydantic import TypeAdapter, ValidationError

from contracts import REGISTRY, DecisionCal, Envelope, LegalEntity
from hub import ContractError, DecodeError, ErrorLocation, RawMessage, RecordReject
from plugins.bailleurs.stream import streamed

__all__ = ["FORMAT", "decode_decisions", "document_schema"]

FORMAT = "relais.bailleurs.decisions_cal/1"
PARIS = ZoneInfo("Europe/Paris")


def document_schema() -> dict[str, Any]:
    """JSON Schema of a decisions document, from the contracts it is made of (published in the gateway's OpenAPI
    document, so that a landlord's integrator validates a file before sending it)."""
    entity = TypeAdapter(LegalEntity).json_schema()
    decision = TypeAdapter(DecisionCal).json_schema()
    defs = {**entity.pop("$defs", {}), **decision.pop("$defs", {})}
    decision["properties"] = {"id": {"type": "string", "minLength": 1,
                                     "description": "The landlord's own id of the decision, stable: a resent "
                                                    "decision is recognised by siren:id and journaled once."},
                              **decision["properties"]}
    decision["required"] = ["id", *decision.get("required", [])]
    return {
        "title": "decisions_cal/1", "type": "object", "required": ["format", "bailleur", "decisions"],
        "properties": {
            "format": {"const": FORMAT},
            "bailleur": {"$ref": "#/$defs/LegalEntity"},
            "correlation_id": {"type": "string"},
            "decisions": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/Decision"}},
        },
        "$defs": {**defs, "LegalEntity": entity, "Decision": decision},
    }


def decode_decisions(raw: RawMessage, source: str) -> Iterator[Envelope[Any] | RecordReject]:
    large = streamed(raw.body)   # a large document's decisions one at a time (plugins.bailleurs.stream)
    if large is not None:
        yield from _decode(large.head, large.decisions(), large.count, raw, source)
        return
    try:
        doc = json.loads(raw.body)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8",
                          location=ErrorLocation(file=raw.origin)) from None
    except json.JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc.msg} (column {exc.colno}); fix the syntax and resend",
                          location=ErrorLocation(file=raw.origin, line=exc.lineno)) from None
    if not isinstance(doc, dict):
        raise DecodeError("the document must be a JSON object with 'format', 'bailleur' and 'decisions'",
                          location=ErrorLocation(file=raw.origin, field="$"))
    decisions = doc.get("decisions")
    if not isinstance(decisions, list):
        decisions = None
    yield from _decode(doc, decisions or [], len(decisions or []), raw, source)


def _decode(doc: dict[str, Any], decisions: Iterable[Any], count: int, raw: RawMessage,
            source: str) -> Iterator[Envelope[Any] | RecordReject]:
    """The checks and events of a document: ``doc`` its members (``decisions`` aside: ``count`` of them)."""
    if doc.get("format") != FORMAT:
        raise DecodeError(f"format: expected {FORMAT!r}, got {doc.get('format')!r}",
                          location=ErrorLocation(file=raw.origin, field="format"))
    try:
        bailleur = LegalEntity.model_validate(doc.get("bailleur"))
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=ErrorLocation(file=raw.origin), prefix="bailleur") from None
    if not count:
        raise DecodeError("decisions: expected a non-empty list of decisions",
                          location=ErrorLocation(file=raw.origin, field="decisions"))
    def alone(item: Any) -> bytes:
        """This decision as a document of its own: what its dead letter keeps, to be fixed and replayed."""
        return _json_bytes({"format": FORMAT, "bailleur": doc.get("bailleur"),
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
            data = DecisionCal.model_validate(fields)
            # the fact happened at the commission, not when the file reached us
            occurred = datetime.combine(data.date_commission, datetime.min.time(), tzinfo=PARIS)
            yield REGISTRY.build(data, source=source, entity=bailleur, time=occurred,
                                 sourcemessageid=f"{bailleur.siren}:{decision_id}",
                                 correlationid=doc.get("correlation_id"))
        except ValidationError as exc:
            yield RecordReject(ContractError.from_validation(
                exc, location=ErrorLocation(file=raw.origin, record=index), prefix=path),
                raw=_json_bytes(item), replay=alone(item))
        except DecodeError as exc:
            yield RecordReject(exc, raw=_json_bytes(item), replay=alone(item))


def _json_bytes(value: Any) -> bytes:
    """JSON of a value as received; text that is not valid Unicode (a lone surrogate sent as ``\\ud800``) is kept
    escaped rather than making the whole file fail."""
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(value).encode()
