"""Décision de la commission d'attribution (CALEOL), CCH R441-3: decision_cal.

Decisions: attribution; attribution en rang N (subject to the refusal of those ranked before); attribution sous
condition suspensive (with the unmet condition); non-attribution (with its reason); irrecevabilité (the landlord then
radiates the demand after informing the applicant).
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from contracts.base import personal
from contracts.enums import SousMotifIrrecevabilite, TypeDecisionCal
from contracts.events.common import SurLogement
from contracts.registry import register_event

__all__ = ["DecisionCal", "TypeDecisionCal"]


@register_event
class DecisionCal(SurLogement):
    """A commission's decision on one candidate for one dwelling."""

    event_type: ClassVar[str] = "decision_cal.v1"

    date_commission: date
    decision: TypeDecisionCal
    rang: int | None = Field(default=None, ge=1, le=10)
    condition_suspensive: str | None = personal(None, max_length=2000)
    motif: str | None = personal(None, max_length=2000)
    sous_motif_irrecevabilite: SousMotifIrrecevabilite | None = None

    @model_validator(mode="after")
    def _coherent(self) -> "DecisionCal":
        if self.decision is TypeDecisionCal.ATTRIBUTION_RANG and self.rang is None:
            raise ValueError("rang: required when decision is attribution_rang (the candidate's rank, 1 to 10)")
        if self.decision is TypeDecisionCal.ATTRIBUTION_SOUS_CONDITION and not self.condition_suspensive:
            raise ValueError("condition_suspensive: required when decision is attribution_sous_condition")
        if self.decision in (TypeDecisionCal.NON_ATTRIBUTION, TypeDecisionCal.IRRECEVABILITE) and not self.motif:
            raise ValueError("motif: required when decision is non_attribution or irrecevabilite")
        if self.sous_motif_irrecevabilite is not None and self.decision is not TypeDecisionCal.IRRECEVABILITE:
            raise ValueError("sous_motif_irrecevabilite: only when decision is irrecevabilite")
        return self
