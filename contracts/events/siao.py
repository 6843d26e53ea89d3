"""Exchanges with the SIAO (integrated reception and orientation service): transmission_siao, preconisation_siao,
inscription_syplo (the State's priority-public tool), after the SI-SIAO vocabulary."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from contracts.base import personal
from contracts.enums import ObjetTransmissionSiao, StatutSyplo, TypePreconisationSiao, Typologie
from contracts.events.common import SurDemande
from contracts.registry import register_event
from contracts.scalars import ReferenceExterne, Texte

__all__ = ["TransmissionSiao", "PreconisationSiao", "InscriptionSyplo"]


@register_event
class TransmissionSiao(SurDemande):
    """A demand was sent to the SIAO (for a label, an update, an exit from accommodation)."""

    event_type: ClassVar[str] = "transmission_siao.v1"

    objet: ObjetTransmissionSiao
    date_transmission: date
    reference_siao: ReferenceExterne | None = Field(default=None, description="The SI-SIAO record, if known.")


@register_event
class PreconisationSiao(SurDemande):
    """The SIAO recommended a kind of housing for the household."""

    event_type: ClassVar[str] = "preconisation_siao.v1"

    preconisation: TypePreconisationSiao
    date_preconisation: date
    typologies: tuple[Typologie, ...] = ()
    accompagnement_social: bool | None = None
    reference_siao: ReferenceExterne | None = None
    commentaire: Texte | None = personal(None)


@register_event
class InscriptionSyplo(SurDemande):
    """The household's status in Syplo changed."""

    event_type: ClassVar[str] = "inscription_syplo.v1"

    statut: StatutSyplo
    date_statut: date
    numero_syplo: ReferenceExterne | None = Field(default=None, description="Syplo number, when inscribed.")

    @model_validator(mode="after")
    def _numero_only_when_inscribed(self) -> "InscriptionSyplo":
        if self.numero_syplo is not None and self.statut is not StatutSyplo.INSCRIT:
            raise ValueError("numero_syplo: only when statut is INSCRIT")
        return self
