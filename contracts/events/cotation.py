"""The score of a demand under a territory's cotation grid: cotation_calculee.

Why a breakdown: the law requires that the applicant and every partner can see how the score was reached; each line
names a criterion, the value observed, the grid's weighting and the points it brought. The score is the sum of the
lines' points (a multiplying criterion, like the first income quartile's ×1.30, contributes the points it adds).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar, Union

from pydantic import Field, model_validator

from contracts.base import Contract, personal
from contracts.enums import CritereCotation
from contracts.events.common import SurDemande
from contracts.registry import register_event
from contracts.scalars import Points, VersionGrille

__all__ = ["CotationCalculee", "LigneCotation", "TOLERANCE_SCORE"]

#: Rounding tolerance between the score and the sum of the lines.
TOLERANCE_SCORE = 0.01


class LigneCotation(Contract):
    """One criterion's contribution to a score."""

    critere: CritereCotation
    libelle: str | None = Field(default=None, max_length=200, description="Label of a local criterion.")
    valeur: Union[bool, int, Annotated[float, Field(allow_inf_nan=False)], Annotated[str, Field(max_length=200)],
                  None] = personal(
        None, description="The value observed (a flag, a number of months, a code…).")
    ponderation: Points | None = Field(default=None, description="The grid's weighting for the criterion.")
    points: Points

    @model_validator(mode="after")
    def _local_named(self) -> "LigneCotation":
        if self.critere is CritereCotation.CRITERE_LOCAL and not self.libelle:
            raise ValueError("libelle: required for a critere_local")
        return self


@register_event
class CotationCalculee(SurDemande):
    """The demand's score was (re)computed."""

    event_type: ClassVar[str] = "cotation_calculee.v1"

    score: Points
    lignes: tuple[LigneCotation, ...]
    grille_version: VersionGrille
    date_calcul: date

    @model_validator(mode="after")
    def _score_is_sum(self) -> "CotationCalculee":
        total = sum(line.points for line in self.lignes)
        if abs(total - self.score) > TOLERANCE_SCORE:
            raise ValueError(f"score: {self.score} is not the sum of the lines' points ({round(total, 4)})")
        return self
