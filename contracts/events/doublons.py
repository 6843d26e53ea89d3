"""Duplicates: doublon_detecte (two numbers for one household) and numeros_fusionnes (merged into one)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from contracts.events.common import SurDemande
from contracts.identifiers import NumeroUnique
from contracts.registry import register_event

__all__ = ["DoublonDetecte", "NumerosFusionnes"]


def _distinct(main: str, others: tuple[str, ...], field: str) -> None:
    if main in others:
        raise ValueError(f"{field}: must not contain numero_unique itself")
    if len(set(others)) != len(others):
        raise ValueError(f"{field}: a number is listed twice")


@register_event
class DoublonDetecte(SurDemande):
    """The system of record suspects that other numbers belong to the same household."""

    event_type: ClassVar[str] = "doublon_detecte.v1"

    doublons: tuple[NumeroUnique, ...] = Field(min_length=1, description="The suspected duplicates.")
    date_detection: date

    @model_validator(mode="after")
    def _check(self) -> "DoublonDetecte":
        _distinct(self.numero_unique, self.doublons, "doublons")
        return self


@register_event
class NumerosFusionnes(SurDemande):
    """Numbers were merged into ``numero_unique``, which is kept; the others are radiated (case f)."""

    event_type: ClassVar[str] = "numeros_fusionnes.v1"

    numeros_fusionnes: tuple[NumeroUnique, ...] = Field(min_length=1, description="Numbers merged and retired.")
    date_fusion: date

    @model_validator(mode="after")
    def _check(self) -> "NumerosFusionnes":
        _distinct(self.numero_unique, self.numeros_fusionnes, "numeros_fusionnes")
        return self
