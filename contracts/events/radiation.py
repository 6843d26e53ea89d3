"""End of a demand: demande_radiee (CCH R441-2-8 cases a to f), demande_reactivee, demande_supprimee (purge), and
evenement_efface: what the journal keeps of each event of a purged demand (a non-nominative tombstone)."""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo
from typing import ClassVar, Literal

from pydantic import Field, model_validator

from contracts.enums import (
    CategorieLogement, MotifRadiation, MotifSuppression, SousMotifIrrecevabilite, TypeHabitatRecherche, Typologie,
)
from contracts.envelope import Envelope
from contracts.events.common import Guichet, SurDemande, SurLogement
from contracts.identifiers import CodeInsee, CodeQpv, NumeroUnique, Rpls
from contracts.registry import register_event

__all__ = ["DemandeRadiee", "DemandeReactivee", "DemandeSupprimee", "EvenementEfface", "tombstone"]


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
    type_habitat: TypeHabitatRecherche | None = Field(
        default=None, description="Individual or collective: wished (a demand), or the dwelling's (an attribution).")
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


#: Fields whose date says when the fact happened, most telling first (an event's own date beats its envelope's).
_DATE_FIELDS = ("date_enregistrement", "date_signature", "date_attribution", "date_radiation", "date_renouvellement",
                "date_reactivation", "date_commission", "date_modification", "date_suppression", "date_envoi")
_PARIS = ZoneInfo("Europe/Paris")
_HABITAT_OF_CATEGORIE = {CategorieLogement.APPARTEMENT: TypeHabitatRecherche.COLLECTIF,
                         CategorieLogement.MAISON: TypeHabitatRecherche.INDIVIDUEL}


def _age_band(born: date, on: date) -> TrancheAge:
    age = on.year - born.year - ((on.month, on.day) < (born.month, born.day))
    return "moins_30" if age < 30 else "30_49" if age < 50 else "50_64" if age < 65 else "65_plus"


def _resources_band(monthly: int) -> TrancheRessources:
    return ("moins_1000" if monthly < 1000 else "1000_1999" if monthly < 2000 else "2000_2999" if monthly < 3000
            else "3000_plus")


def tombstone(event: Envelope[Any]) -> EvenementEfface:
    """The non-nominative facts of one event: enough to count it in statistics, nothing that names a person.

    Why here, beside the model: the purge writes these facts in place of the event, and the statistics read the
    same facts from live events and from tombstones alike — one function, so a purge cannot change a figure."""
    data = event.data
    if isinstance(data, EvenementEfface):
        return data
    when = next((getattr(data, f) for f in _DATE_FIELDS if isinstance(getattr(data, f, None), date)),
                event.time.astimezone(_PARIS).date())
    facts: dict[str, Any] = {"numero_unique": event.subject or data.subject(), "type_origine": event.type,
                             "date_evenement": when}
    demande = getattr(data, "demande", None)
    if demande is not None:
        people = [demande.demandeur.ressources, *([demande.cotitulaire.ressources] if demande.cotitulaire else []),
                  *[p.ressources for p in demande.personnes_a_charge if p.ressources is not None]]
        facts |= {"communes_concernees": tuple(demande.souhaits.communes),
                  "typologies": tuple(demande.souhaits.typologies), "type_habitat": demande.souhaits.type_habitat,
                  "date_depot": demande.date_depot, "date_enregistrement": demande.date_enregistrement,
                  "mutation": demande.est_mutation(), "taille_menage": min(demande.taille_menage(), 30),
                  "tranche_age": _age_band(demande.demandeur.date_naissance, when),
                  "tranche_ressources": _resources_band(sum(r.total_mensuel() for r in people))}
    if isinstance(data, SurLogement):
        facts["communes_concernees"] = (data.commune,)
        typologie = getattr(data, "typologie", None)
        facts["typologies"] = (typologie,) if typologie is not None else ()
        facts["qpv"] = getattr(data, "qpv", None)
        facts["premier_quartile"] = getattr(data, "premier_quartile", None)
        facts["date_entree_dans_les_lieux"] = getattr(data, "date_entree_dans_les_lieux", None)
        categorie = getattr(data, "categorie", None)
        if categorie is not None:       # the dwelling's kind, in the terms of the demand's wish
            facts["type_habitat"] = _HABITAT_OF_CATEGORIE[categorie]
    if isinstance(data, DemandeRadiee):
        facts["motif_radiation"] = data.motif
    return EvenementEfface(**facts)
