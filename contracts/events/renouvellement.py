"""Yearly renewal: demande_renouvelee, avis_renouvellement_du, avis_renouvellement_liste, avis_renouvellement_envoye,
mise_en_demeure_envoyee.

A demand is valid one year; a notice goes out before the anniversary (delays are territory configuration); without
renewal it is radiated (see :mod:`contracts.events.radiation`). A registered warning (mise en demeure) precedes a
radiation for no reply or for inadmissibility (CCH R441-2-8).
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from contracts.base import Contract, EventData
from contracts.demande import Demande
from contracts.enums import CanalNotification, ModeAttestation, MotifRadiation, SousMotifIrrecevabilite
from contracts.events.common import Guichet, SurDemande
from contracts.identifiers import NumeroUnique
from contracts.registry import register_event

__all__ = ["DemandeRenouvelee", "AvisRenouvellementDu", "AvisListe", "AvisRenouvellementListe",
           "AvisRenouvellementEnvoye", "MiseEnDemeureEnvoyee"]

#: A day's list stays one message: a national day is a few thousand notices (2.6 million demands / 365).
MAX_AVIS_PAR_LISTE = 100_000


@register_event
class DemandeRenouvelee(SurDemande):
    """The demand was renewed for one more year (its numéro unique and seniority are kept)."""

    event_type: ClassVar[str] = "demande_renouvelee.v1"

    date_renouvellement: date
    demande: Demande | None = Field(default=None, description="The full state, when it was updated on renewal.")
    guichet: Guichet | None = Field(default=None, description="The desk; None when renewed online.")
    mode_attestation: ModeAttestation | None = None

    def communes(self) -> frozenset[str]:
        return self.demande.communes_souhaitees() if self.demande else frozenset()


@register_event
class AvisRenouvellementDu(SurDemande):
    """A renewal notice (préavis de radiation) is due today: the hub computed the deadline, the system of record
    (the fichier partagé, or the GIP SNE under the national rules) sends the notice and reports
    ``avis_renouvellement_envoye``. Why a separate event: "due" is the hub's computation, "sent" a fact only the
    sender knows."""

    event_type: ClassVar[str] = "avis_renouvellement_du.v1"

    date_echeance: date = Field(description="The last day the notice may go out.")
    canal: CanalNotification
    date_anniversaire: date
    date_radiation_prevue: date

    @model_validator(mode="after")
    def _order(self) -> "AvisRenouvellementDu":
        if not self.date_echeance <= self.date_anniversaire <= self.date_radiation_prevue:
            raise ValueError("date_echeance, date_anniversaire, date_radiation_prevue: must be in this order")
        return self


class AvisListe(Contract):
    """One notice of a day's list: the demand and its dates, nothing nominative (the sender holds the address)."""

    numero_unique: NumeroUnique
    date_echeance: date = Field(description="The last day the notice may go out.")
    canal: CanalNotification
    date_anniversaire: date
    date_radiation_prevue: date


@register_event
class AvisRenouvellementListe(EventData):
    """The day's list of renewal notices due, for the sender of the notices: the GIP SNE under the national rules
    ("la liste des demandes devant faire l'objet d'un préavis … est envoyée quotidiennement … au GIP SNE", cahier des
    charges des systèmes particuliers § 5, arrêté of 23 March 2015). Why one event per day and not only the
    per-notice ``avis_renouvellement_du``: the transmission is a daily file, and the file itself must be traced,
    retried and replayable like any delivery. About no single demand: no subject."""

    event_type: ClassVar[str] = "avis_renouvellement_liste.v1"

    jour: date = Field(description="The day of the list (the notices that became due that day, and any left "
                       "over from an earlier list).")
    avis: tuple[AvisListe, ...] = Field(min_length=1, max_length=MAX_AVIS_PAR_LISTE)

    @model_validator(mode="after")
    def _unique(self) -> "AvisRenouvellementListe":
        keys = [(a.numero_unique, a.date_anniversaire) for a in self.avis]
        if len(set(keys)) != len(keys):
            raise ValueError("avis: a notice (numero_unique, date_anniversaire) is listed twice")
        return self


@register_event
class AvisRenouvellementEnvoye(SurDemande):
    """The notice inviting the applicant to renew (préavis de radiation) was sent."""

    event_type: ClassVar[str] = "avis_renouvellement_envoye.v1"

    date_envoi: date
    canal: CanalNotification
    date_anniversaire: date
    date_radiation_prevue: date | None = None

    @model_validator(mode="after")
    def _order(self) -> "AvisRenouvellementEnvoye":
        if self.date_radiation_prevue and self.date_radiation_prevue < self.date_anniversaire:
            raise ValueError("date_radiation_prevue: earlier than date_anniversaire")
        return self


@register_event
class MiseEnDemeureEnvoyee(SurDemande):
    """A landlord warned the applicant that the demand will be radiated (no reply, or inadmissibility)."""

    event_type: ClassVar[str] = "mise_en_demeure_envoyee.v1"

    date_envoi: date
    canal: CanalNotification
    motif_envisage: MotifRadiation
    sous_motif: SousMotifIrrecevabilite | None = None
    date_radiation_prevue: date | None = None

    @model_validator(mode="after")
    def _coherent(self) -> "MiseEnDemeureEnvoyee":
        if self.motif_envisage not in (MotifRadiation.ABSENCE_REPONSE, MotifRadiation.IRRECEVABILITE):
            raise ValueError("motif_envisage: a warning precedes only absence_reponse or irrecevabilite")
        if (self.sous_motif is not None) != (self.motif_envisage is MotifRadiation.IRRECEVABILITE):
            raise ValueError("sous_motif: required with irrecevabilite, and only with it")
        return self
