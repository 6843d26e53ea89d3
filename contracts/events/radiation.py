"""End of a demand: demande_radiee (CCH R441-2-8 cases a to f), demande_reactivee, demande_supprimee (purge)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from contracts.enums import MotifRadiation, MotifSuppression, SousMotifIrrecevabilite
from contracts.events.common import Guichet, SurDemande
from contracts.identifiers import CodeInsee, NumeroUnique, Rpls
from contracts.registry import register_event

__all__ = ["DemandeRadiee", "DemandeReactivee", "DemandeSupprimee"]


@register_event
class DemandeRadiee(SurDemande):
    """The demand was radiated.

    For an attribution (a) the landlord reports the dwelling (RPLS, commune); for an inadmissibility (d) the
    sub-motif is required; for a merge (f) the number kept.
    """

    event_type: ClassVar[str] = "demande_radiee.v1"

    date_radiation: date
    motif: MotifRadiation
    sous_motif: SousMotifIrrecevabilite | None = None
    rpls: Rpls | None = Field(default=None, description="Dwelling attributed (case a).")
    commune: CodeInsee | None = Field(default=None, description="Commune of the dwelling attributed (case a).")
    numero_unique_conserve: NumeroUnique | None = Field(default=None, description="Number kept (case f).")

    @model_validator(mode="after")
    def _coherent(self) -> "DemandeRadiee":
        irrecevable = self.motif is MotifRadiation.IRRECEVABILITE
        if (self.sous_motif is not None) != irrecevable:
            raise ValueError("sous_motif: required with motif irrecevabilite, and only with it")
        attribution = self.motif is MotifRadiation.ATTRIBUTION_BAIL_SIGNE
        if (self.rpls is not None or self.commune is not None) and not attribution:
            raise ValueError("rpls, commune: only for motif attribution_bail_signe")
        if self.numero_unique_conserve is not None and self.motif is not MotifRadiation.FUSION:
            raise ValueError("numero_unique_conserve: only for motif fusion")
        if self.numero_unique_conserve == self.numero_unique:
            raise ValueError("numero_unique_conserve: must differ from the radiated number")
        return self

    def communes(self) -> frozenset[str]:
        return frozenset({self.commune}) if self.commune else frozenset()


@register_event
class DemandeReactivee(SurDemande):
    """A radiated demand was reactivated within the allowed delay, keeping its number and seniority."""

    event_type: ClassVar[str] = "demande_reactivee.v1"

    date_reactivation: date
    motif_radiation_annulee: MotifRadiation | None = None
    guichet: Guichet | None = None


@register_event
class DemandeSupprimee(SurDemande):
    """The demand's personal data were purged (e.g. one year after a radiation for non-renewal)."""

    event_type: ClassVar[str] = "demande_supprimee.v1"

    date_suppression: date
    motif: MotifSuppression
