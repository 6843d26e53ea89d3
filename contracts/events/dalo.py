"""The DALO mediation commission's decision on an appeal (CCH L441-2-3): decision_dalo."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from contracts.enums import SensDecisionDalo, SituationDalo, Typologie, TypologieLogementDalo
from contracts.events.common import SurDemande
from contracts.registry import register_event
from contracts.scalars import NumeroRecours

__all__ = ["DecisionDalo"]


@register_event
class DecisionDalo(SurDemande):
    """The COMED decided on a household's DALO appeal; "prioritaire et urgent" obliges the State to rehouse."""

    event_type: ClassVar[str] = "decision_dalo.v1"

    numero_recours: NumeroRecours
    date_depot_recours: date
    date_decision: date
    decision: SensDecisionDalo
    situations: tuple[SituationDalo, ...] = Field(default=(), description="Grounds of the appeal (L441-2-3).")
    typologies_preconisees: tuple[Typologie, ...] = ()
    date_limite_relogement: date | None = Field(default=None, description="When the State must have rehoused.")
    typologie_dalo: TypologieLogementDalo | None = Field(
        default=None, description="The dwelling the decision calls for, in the SNE's ListeTypologieLogementDalo "
                                  "(ranges, adapted dwellings).")

    @model_validator(mode="after")
    def _order(self) -> "DecisionDalo":
        if self.date_decision < self.date_depot_recours:
            raise ValueError("date_decision: earlier than date_depot_recours")
        if self.date_limite_relogement is not None and self.decision is not SensDecisionDalo.PRIORITAIRE_ET_URGENT:
            raise ValueError("date_limite_relogement: only for a prioritaire_et_urgent decision")
        return self
