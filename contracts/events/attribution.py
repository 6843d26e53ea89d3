"""From proposal to lease: designation_candidat, inscription_cal, visite_proposee, visite_effectuee,
refus_demandeur, bail_signe, attribution_reportee. (The commission's decision is in :mod:`decision_cal`.)

Every one names the dwelling (RPLS, commune): the commune decides which réservataires may see the event.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from contracts.base import LegalEntity, personal
from contracts.enums import (
    AccordCollectif, CategorieLogement, Contingent, MotifRefus, OrigineDesignation, SuiteVisite, Typologie,
)
from contracts.events.common import SurLogement
from contracts.identifiers import CodeQpv
from contracts.registry import register_event
from contracts.scalars import Texte

__all__ = ["DesignationCandidat", "InscriptionCal", "VisiteProposee", "VisiteEffectuee", "RefusDemandeur",
           "BailSigne", "AttributionReportee"]


@register_event
class DesignationCandidat(SurLogement):
    """A landlord or a réservataire designated the household as candidate for a dwelling."""

    event_type: ClassVar[str] = "designation_candidat.v1"

    date_designation: date
    origine: OrigineDesignation
    reservataire: LegalEntity | None = Field(default=None, description="The réservataire, when it designated.")
    contingent: Contingent | None = None
    typologie: Typologie | None = None
    qpv: CodeQpv | None = Field(default=None, description="The dwelling's QPV, if it lies in one.")

    @model_validator(mode="after")
    def _reservataire_known(self) -> "DesignationCandidat":
        if self.origine is OrigineDesignation.RESERVATAIRE and self.reservataire is None:
            raise ValueError("reservataire: required when origine is reservataire")
        return self


@register_event
class InscriptionCal(SurLogement):
    """The candidacy was put on the agenda of an attribution commission (CALEOL)."""

    event_type: ClassVar[str] = "inscription_cal.v1"

    date_commission: date
    rang_presentation: int | None = Field(default=None, ge=1, le=10,
                                          description="Order among the candidates for this dwelling.")


@register_event
class VisiteProposee(SurLogement):
    """A visit of the dwelling was offered to the household."""

    event_type: ClassVar[str] = "visite_proposee.v1"

    date_proposition: date
    date_visite_prevue: date | None = None


@register_event
class VisiteEffectuee(SurLogement):
    """The household visited (or did not turn up for) the dwelling."""

    event_type: ClassVar[str] = "visite_effectuee.v1"

    date_visite: date
    suite: SuiteVisite | None = None


@register_event
class RefusDemandeur(SurLogement):
    """The household refused the dwelling proposed; a refusal of a suitable offer weighs in cotation."""

    event_type: ClassVar[str] = "refus_demandeur.v1"

    date_refus: date
    motif: MotifRefus
    precision: Texte | None = personal(None)
    apres_attribution: bool | None = Field(default=None, description="Refused after the commission attributed it.")
    offre_adaptee: bool | None = Field(
        default=None, description="The landlord judged the offer suited to the household's needs and means.")


@register_event
class BailSigne(SurLogement):
    """The lease was signed after attribution."""

    event_type: ClassVar[str] = "bail_signe.v1"

    date_signature: date
    date_entree_dans_les_lieux: date | None = None
    qpv: CodeQpv | None = None
    categorie: CategorieLogement | None = Field(
        default=None, description="The dwelling: collectif (A, appartement) or individuel (M, maison), as the RPLS "
        "records it; the statistics split attributions by it.")


@register_event
class AttributionReportee(SurLogement):
    """The landlord's attribution report (with the radiation): which contingent it is charged to and which
    priority public it served (CCH R441-2-9); feeds the CIA and priority-public objectives."""

    event_type: ClassVar[str] = "attribution_reportee.v1"

    date_attribution: date
    reservataire: LegalEntity = Field(description="Réservataire charged; the landlord itself when none.")
    contingent: Contingent
    qpv: CodeQpv | None = Field(default=None, description="The dwelling's QPV; None outside any QPV.")
    typologie: Typologie | None = None
    categorie: CategorieLogement | None = Field(
        default=None, description="The dwelling: collectif (A, appartement) or individuel (M, maison), as the RPLS "
        "records it; the statistics split attributions by it.")
    acd_aci: AccordCollectif = AccordCollectif.AUCUN
    dalo: bool = False
    agent_etat: bool = Field(default=False, description="Attribution to a State agent on State-reserved housing.")
    relogement_anru: bool = Field(default=False, description="Rehousing due to an urban renewal (ANRU) operation.")
    cia: bool = Field(default=False, description="Counts towards an objective of the intercommunal agreement.")
    prioritaire: bool = Field(default=False, description="Household priority under CCH L441-1.")
    premier_quartile: bool | None = Field(default=None, description="Household in the first resource quartile.")

    @model_validator(mode="after")
    def _agent_etat_on_state_stock(self) -> "AttributionReportee":
        if self.agent_etat and self.contingent is not Contingent.PREFET_FONCTIONNAIRES:
            raise ValueError("agent_etat: only for the contingent PFONCT (State agents)")
        return self
