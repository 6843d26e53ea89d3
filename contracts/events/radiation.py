"""End of a demand: demande_radiee (CCH R441-2-8 cases a to f), demande_reactivee, demande_supprimee (purge), and
evenement_efface: what the journal keeps of each event of a purged demand (a non-nominative tombstone)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from contracts.enums import MotifRadiation, MotifSuppression, SousMotifIrrecevabilite, TypeHabitatRecherche, Typologie
from contracts.events.common import Guichet, SurDemande
from contracts.identifiers import CodeInsee, CodeQpv, NumeroUnique, Rpls
from contracts.registry import register_event

__all__ = ["DemandeRadiee", "DemandeReactivee", "DemandeSupprimee", "EvenementEfface"]


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


#: Age of the applicant at the event, in bands (statistics by age without a birth date).
TrancheAge = Literal["moins_30", "30_49", "50_64", "65_plus"]
#: The household's monthly resources, in bands (statistics by resources without an amount).
TrancheRessources = Literal["moins_1000", "1000_1999", "2000_2999", "3000_plus"]


@register_event
class EvenementEfface(SurDemande):
    """What remains of one journaled event of a purged demand (CNIL: nominative data deleted one year after the
    radiation). Why keep anything: the territory's statistics (demands pending, attributions, delays, by commune and
    typology) are rebuilt from the journal and must stay right; these facts identify nobody.

    The journal row keeps its id, source, legal entity and time; its payload becomes this."""

    event_type: ClassVar[str] = "evenement_efface.v1"

    type_origine: str = Field(pattern=r"^[a-z][a-z0-9_]*\.v[0-9]+$", max_length=100,
                              description="The type of the event this replaces, e.g. demande_enregistree.v1.")
    date_evenement: date
    communes_concernees: tuple[CodeInsee, ...] = Field(default=(), description="Wished communes, or the dwelling's.")
    typologies: tuple[Typologie, ...] = Field(default=(), description="Wished typologies, or the dwelling's.")
    type_habitat: TypeHabitatRecherche | None = None
    date_depot: date | None = None
    date_enregistrement: date | None = None
    mutation: bool | None = Field(default=None, description="The applicant was a social tenant.")
    taille_menage: int | None = Field(default=None, ge=1, le=30)
    tranche_age: TrancheAge | None = None
    tranche_ressources: TrancheRessources | None = None
    motif_radiation: MotifRadiation | None = None
    qpv: CodeQpv | None = None
    premier_quartile: bool | None = None
    date_entree_dans_les_lieux: date | None = None
