"""The bailleurs' JSON format for CAL decisions (documented in this plugin's README) → canonical events.

One file carries one landlord's decisions of one or more commissions. Each decision is checked on its own: a bad
one is rejected with its path (``decisions[3].rang``) while the others are journaled (the reading shared by the
JSON connectors: :mod:`hub.json_documents`).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from zoneinfo import ZoneInfo
from typing import Any

from pydantic import TypeAdapter, ValidationError

from contracts import REGISTRY, DecisionCal, Envelope, LegalEntity
from hub import ContractError, DecodeError, ErrorLocation, RawMessage, RecordReject
from hub.json_documents import decode_records, load_document

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
    doc = load_document(raw, expected_format=FORMAT, list_field="decisions")
    try:
        bailleur = LegalEntity.model_validate(doc.get("bailleur"))
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=ErrorLocation(file=raw.origin), prefix="bailleur") from None

    def build(item: dict[str, Any], path: str) -> Iterator[Envelope[Any]]:
        fields = dict(item)
        decision_id = fields.pop("id", None)
        if not isinstance(decision_id, str) or not decision_id:
            raise DecodeError(f"{path}.id: required, the landlord's identifier of this decision",
                              location=ErrorLocation(file=raw.origin, field=f"{path}.id"))
        data = DecisionCal.model_validate(fields)
        # the fact happened at the commission, not when the file reached us
        occurred = datetime.combine(data.date_commission, datetime.min.time(), tzinfo=PARIS)
        yield REGISTRY.build(data, source=source, entity=bailleur, time=occurred,
                             sourcemessageid=f"{bailleur.siren}:{decision_id}",
                             correlationid=doc.get("correlation_id"))

    return decode_records(raw, doc, "decisions", build)
