"""What the cotation engine reads of a demand: :class:`FaitsCotation`, and :func:`faits_depuis_demande` which builds
it from a ``contracts`` demand and what the processor counted from other events.

Why a small model of its own rather than the whole ``Demande``: the score depends on a dozen facts, some of which no
CERFA field holds (refusals counted from landlords' events, a DALO label, the first-quartile status computed from the
year's threshold). Naming them in one model makes the engine's input explicit, lets tests and hypothesis generate it
directly, and keeps names, addresses and incomes out of the engine: it sees dates of birth, never who was born.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from pydantic import BaseModel, ConfigDict, Field

from contracts.demande import Demande
from contracts.enums import (
    CriterePrioriteL441, MotifDemande, NatureLabel, SecteurEmploi, SituationLogementActuel, StatutProfessionnel,
)
from contracts.events.demande import DemandeEnregistree, DemandeModifiee, DemandeRectifiee

__all__ = ["FaitsCotation", "faits_depuis_demande"]


class FaitsCotation(BaseModel):
    """The facts of one demand a grid may weigh. Dates rather than ages, so that one set of facts can be scored at
    any date (seniority and ages move with the computation day, the facts do not)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    situation_logement: SituationLogementActuel | None = Field(default=None, description="Current housing.")
    motifs: frozenset[MotifDemande] = Field(default=frozenset(), description="Reasons declared for the demand.")
    statuts: frozenset[StatutProfessionnel] = Field(
        default=frozenset(), description="Professional situations of the applicant and the co-applicant.")
    secteurs: frozenset[SecteurEmploi] = Field(
        default=frozenset(), description="Employment sectors of the applicant and the co-applicant.")
    prioritaire_dalo: bool = Field(default=False, description="Recognised prioritaire et urgent by the COMED.")
    chomage_longue_duree: bool = Field(default=False, description="Applicant or co-applicant: long unemployment.")
    handicap: bool = Field(default=False, description="A member of the household is disabled.")
    travailleur_cle: bool = Field(default=False, description="Key worker (no CERFA field: said by a desk).")
    premier_quartile: bool = Field(default=False, description="Resources under the year's first-quartile threshold.")
    naissance_demandeur: date | None = Field(default=None, description="For the age criteria (the applicant's).")
    naissances_enfants: tuple[date, ...] = Field(
        default=(), description="Birth dates of dependants and children in shared custody (minors or not).")
    enfants_attendus: int = Field(default=0, ge=0, le=9)
    date_depot: date | None = Field(default=None, description="Filing date, the start of seniority.")
    refus: int = Field(default=0, ge=0, le=1000, description="Refusals of a suitable offer.")
    visites_sans_suite: int = Field(default=0, ge=0, le=1000)
    non_reponses: int = Field(default=0, ge=0, le=1000, description="Suitable offers left unanswered.")

    def fait(self, name: str) -> bool:
        """A yes/no fact by the name grids use in ``when = { fact = … }``."""
        return bool(getattr(self, name))

    def mineurs(self, on: date) -> int:
        """Minors in the household on ``on``: children under 18, and expected children (they will live there)."""
        return sum(1 for born in self.naissances_enfants if age(born, on) < 18) + self.enfants_attendus

    @property
    def occurrences_negatives(self) -> int:
        return self.refus + self.visites_sans_suite + self.non_reponses


def age(born: date, on: date) -> int:
    """Age in complete years on ``on`` (someone born on 29 February ages on 1 March in a common year)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def faits_depuis_demande(
    demande: Demande | DemandeEnregistree | DemandeModifiee | DemandeRectifiee,
    *,
    refus: int = 0,
    visites_sans_suite: int = 0,
    non_reponses: int = 0,
    labels: Iterable[NatureLabel] = (),
    premier_quartile: bool = False,
    travailleur_cle: bool = False,
) -> FaitsCotation:
    """Build the facts from a demand's CERFA content (or an event carrying it) and what the CERFA does not hold.

    Why the keyword arguments: refusals, labels and the quartile come from other events and from the year's
    threshold, which the processor keeps; this function stays pure. The filing date is ``date_depot``, else the
    registration date (a demand registered by a desk on the day it was filed)."""
    enregistrement = demande.date_enregistrement if isinstance(demande, DemandeEnregistree) else None
    if not isinstance(demande, Demande):
        demande = demande.demande
    titulaires = [p for p in (demande.demandeur, demande.cotitulaire) if p is not None]
    situations = [p.situation_professionnelle for p in titulaires if p.situation_professionnelle is not None]
    handicap = (demande.handicap is not None and bool(demande.handicap.personnes)) or (
        CriterePrioriteL441.HANDICAP in demande.priorite.criteres_l441_1)
    labels = frozenset(labels)
    return FaitsCotation(
        situation_logement=demande.logement_actuel.situation if demande.logement_actuel else None,
        motifs=frozenset(demande.motifs),
        statuts=frozenset(s.statut for s in situations),
        secteurs=frozenset(s.secteur for s in situations if s.secteur is not None),
        prioritaire_dalo=bool(demande.priorite.prioritaire_dalo) or NatureLabel.DALO in labels,
        chomage_longue_duree=any(s.chomage_longue_duree for s in situations),
        handicap=handicap or NatureLabel.L441_1_HANDICAP in labels,
        travailleur_cle=travailleur_cle,
        premier_quartile=premier_quartile,
        naissance_demandeur=demande.demandeur.date_naissance,
        naissances_enfants=tuple(p.date_naissance for p in (*demande.personnes_a_charge, *demande.enfants_en_garde)),
        enfants_attendus=demande.enfants_attendus.nombre if demande.enfants_attendus else 0,
        date_depot=demande.date_depot or demande.date_enregistrement or enregistrement,
        refus=refus, visites_sans_suite=visites_sans_suite, non_reponses=non_reponses,
    )
