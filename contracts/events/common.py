"""Bases shared by event payloads: an event about a demand, an event about a demand and a dwelling.

Why bases: the numéro unique is the subject of nearly every event, and events about a dwelling all need its RPLS
identifier and commune, the latter deciding which réservataires may see them (access policy).
"""

from __future__ import annotations

from typing import Union

from pydantic import Field

from contracts.base import EventData, LegalEntity
from contracts.identifiers import CodeInsee, NumeroUnique, Rpls
from contracts.scalars import CodeGuichet

__all__ = ["SurDemande", "SurLogement", "Guichet"]

#: A registration desk: its legal entity, or its code in the system of record when that is all the source knows.
Guichet = Union[LegalEntity, CodeGuichet]


class SurDemande(EventData):
    """An event about one demand."""

    numero_unique: NumeroUnique = Field(description="Numéro unique of the demand.")


class SurLogement(SurDemande):
    """An event about one demand and one dwelling."""

    rpls: Rpls = Field(description="RPLS identifier of the dwelling.")
    commune: CodeInsee = Field(description="INSEE code of the dwelling's commune.")

    def communes(self) -> frozenset[str]:
        return frozenset({self.commune})
