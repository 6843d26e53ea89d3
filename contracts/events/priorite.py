"""Priority: label_prioritaire_pose, label_prioritaire_leve, contingents_eligibles.

A label says that a body (COMED, SIAO, the EPCI's commission, a réservataire, a landlord…) recognises the household
as priority on one ground, from a date, possibly until another. Contingents say which reservation rights the
household may be housed on.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from contracts.base import LegalEntity
from contracts.enums import Contingent, MotifLevee, NatureLabel
from contracts.events.common import SurDemande
from contracts.identifiers import CodeInsee
from contracts.registry import register_event
from contracts.scalars import ReferenceExterne

__all__ = ["LabelPrioritairePose", "LabelPrioritaireLeve", "ContingentsEligibles"]

#: Why a label may carry the household's wished communes (optional): the access policy matches them against a
#: réservataire's communes and a landlord's territory; a label naming none reaches every landlord and no réservataire.
_COMMUNES = ("The household's wished communes (INSEE codes) as the issuing body knows them: who may receive the "
             "label is decided on them.")


@register_event
class LabelPrioritairePose(SurDemande):
    """A body recognised the household as priority."""

    event_type: ClassVar[str] = "label_prioritaire_pose.v1"

    nature: NatureLabel
    emetteur: LegalEntity = Field(description="The body that issued the label.")
    date_decision: date
    date_fin_validite: date | None = None
    reference: ReferenceExterne | None = Field(default=None, description="The issuing body's decision reference.")
    communes_souhaitees: tuple[CodeInsee, ...] = Field(default=(), max_length=200, description=_COMMUNES)

    def communes(self) -> frozenset[str]:
        return frozenset(self.communes_souhaitees)

    @model_validator(mode="after")
    def _order(self) -> "LabelPrioritairePose":
        if self.date_fin_validite and self.date_fin_validite < self.date_decision:
            raise ValueError("date_fin_validite: earlier than date_decision")
        return self


@register_event
class LabelPrioritaireLeve(SurDemande):
    """A priority label no longer applies."""

    event_type: ClassVar[str] = "label_prioritaire_leve.v1"

    nature: NatureLabel
    emetteur: LegalEntity = Field(description="The body that had issued the label.")
    date_levee: date
    motif: MotifLevee | None = None
    communes_souhaitees: tuple[CodeInsee, ...] = Field(default=(), max_length=200, description=_COMMUNES)

    def communes(self) -> frozenset[str]:
        return frozenset(self.communes_souhaitees)


@register_event
class ContingentsEligibles(SurDemande):
    """The reservation contingents the household is eligible to (replaces any previous statement)."""

    event_type: ClassVar[str] = "contingents_eligibles.v1"

    contingents: tuple[Contingent, ...] = Field(description="Empty: eligible to no reserved contingent.")
    date_evaluation: date

    @model_validator(mode="after")
    def _distinct(self) -> "ContingentsEligibles":
        if len(set(self.contingents)) != len(self.contingents):
            raise ValueError("contingents: a contingent is listed twice")
        return self
