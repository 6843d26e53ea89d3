"""The COMED's ``relais.dalo.decisions/1`` documents (:mod:`plugins.dalo.wire`, README) → ``decision_dalo.v1``
events, and the attribution outcomes of DALO households sent back as ``relais.dalo.issues/1`` notices.

Each decision is checked on its own: a bad one is rejected with its path (``decisions[1].date_decision``) while the
others are journaled. The event's ``sourcemessageid`` is the COMED's SIREN and the decision's id, so a resent
decision is absorbed and the same id with other content is a conflict (409).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from contracts import REGISTRY, LegalEntity
from contracts.envelope import Envelope
from hub import (
    ContractError,
    ErrorLocation,
    OutboundMessage,
    RawMessage,
    RecordReject,
)
from hub.json_documents import correlation_of, decode_records, load_document, notice
from plugins.dalo.wire import FORMAT, OUTCOMES_FORMAT, DecisionComed

__all__ = ["decode_decisions", "encode_outcome"]

PARIS = ZoneInfo("Europe/Paris")


def decode_decisions(raw: RawMessage, source: str) -> Iterator[Envelope[Any] | RecordReject]:
    doc = load_document(raw, expected_format=FORMAT, list_field="decisions")
    try:
        comed = LegalEntity.model_validate(doc.get("comed"))
    except ValidationError as exc:
        raise ContractError.from_validation(exc, location=ErrorLocation(file=raw.origin), prefix="comed") from None
    correlation = correlation_of(raw, doc)

    def build(item: dict[str, Any], _path: str) -> Iterator[Envelope[Any]]:
        decision = DecisionComed.model_validate(item)
        # the fact happened at the commission, not when the file reached us
        occurred = datetime.combine(decision.date_decision, datetime.min.time(), tzinfo=PARIS)
        yield REGISTRY.build(decision.decision_dalo(), source=source, entity=comed, time=occurred,
                             sourcemessageid=f"{comed.siren}:{decision.id}", correlationid=correlation)

    return decode_records(raw, doc, "decisions", build)


def encode_outcome(event: Envelope[Any]) -> OutboundMessage:
    """An outcome for the COMED (CAL decision, refusal, lease, attribution, radiation of a DALO household) as a
    ``relais.dalo.issues/1`` notice."""
    return OutboundMessage(body=notice(OUTCOMES_FORMAT, event), filename=f"{event.id}.json")
