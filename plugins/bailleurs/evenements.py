"""``relais.bailleurs.evenements/1``: a landlord's events of the whole attribution chain, as typed JSON records.

Désignation, inscription en CAL, visits, the commission's decision, the applicant's refusal, the signed lease and
the attribution report: one list, each record checked on its own — a bad one is rejected with its path
(``evenements[3].date_visite``) and kept to be fixed and replayed alone, the others are journaled.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import ValidationError

from contracts import Envelope, LegalEntity
from hub import ContractError, DecodeError, ErrorLocation, RawMessage, RecordReject
from hub.json_documents import correlation_of, json_bytes
from plugins.bailleurs.records import build_event
from plugins.bailleurs.wire import EVENEMENTS_FORMAT

__all__ = ["decode_evenements"]


def decode_evenements(doc: dict[str, Any], raw: RawMessage, source: str) -> Iterator[Envelope[Any] | RecordReject]:
    """The events of an already parsed ``evenements/1`` document (``doc``), one per record."""
    try:
        bailleur = LegalEntity.model_validate(doc.get("bailleur"))
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=ErrorLocation(file=raw.origin), prefix="bailleur") from None
    records = doc.get("evenements")
    if not isinstance(records, list) or not records:
        raise DecodeError("evenements: expected a non-empty list of records, each with its 'type' and 'id'",
                          location=ErrorLocation(file=raw.origin, field="evenements"))
    unknown = sorted(set(doc) - {"format", "bailleur", "correlation_id", "evenements"})
    if unknown:
        raise DecodeError(f"{unknown[0]}: not a field of {EVENEMENTS_FORMAT} (fields: format, bailleur, "
                          "correlation_id, evenements); remove it", location=ErrorLocation(file=raw.origin,
                                                                                          field=unknown[0]))
    correlation_id = correlation_of(raw, doc)

    def alone(item: Any) -> bytes:
        """This record as a document of its own: what its dead letter keeps, to be fixed and replayed."""
        return json_bytes({"format": EVENEMENTS_FORMAT, "bailleur": doc.get("bailleur"),
                            "correlation_id": correlation_id, "evenements": [item]})

    for index, item in enumerate(records):
        path = f"evenements[{index}]"
        location = ErrorLocation(file=raw.origin, record=index)
        try:
            if not isinstance(item, dict):
                raise DecodeError(f"{path}: expected an object with 'type' and 'id'",
                                  location=ErrorLocation(file=raw.origin, record=index, field=path))
            yield build_event(item, bailleur=bailleur, source=source, correlation_id=correlation_id, path=path,
                              location=location)
        except (DecodeError, ContractError) as exc:
            yield RecordReject(exc, raw=json_bytes(item), replay=alone(item))
