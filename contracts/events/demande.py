"""Registration and modification of a demand: demande_enregistree, attestation_enregistrement_delivree,
demande_modifiee, demande_rectifiee.

Modification events carry the demand's *full new state* plus the paths that changed: a consumer that missed an
event still ends up right, and one that cares about a field can tell at once.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, model_validator

from contracts.demande import ChampDemande, Demande
from contracts.enums import AuteurModification, ModeAttestation
from contracts.events.common import Guichet, SurDemande
from contracts.registry import register_event
from contracts.scalars import IdPiece

__all__ = ["DemandeEnregistree", "AttestationEnregistrementDelivree", "DemandeModifiee", "DemandeRectifiee"]


@register_event
class DemandeEnregistree(SurDemande):
    """A desk (or the applicant online) registered a demand and the numéro unique was issued."""

    event_type: ClassVar[str] = "demande_enregistree.v1"

    demande: Demande
    date_enregistrement: date
    guichet: Guichet | None = Field(default=None, description="The registering desk; None when filed online.")

    def communes(self) -> frozenset[str]:
        return self.demande.communes_souhaitees()


@register_event
class AttestationEnregistrementDelivree(SurDemande):
    """The attestation d'enregistrement reached the applicant (by hand, by mail within 30 days, by e-mail)."""

    event_type: ClassVar[str] = "attestation_enregistrement_delivree.v1"

    mode: ModeAttestation
    date_delivrance: date
    guichet: Guichet | None = None


@register_event
class DemandeModifiee(SurDemande):
    """The applicant or a desk changed the demand."""

    event_type: ClassVar[str] = "demande_modifiee.v1"

    demande: Demande = Field(description="The demand's full state after the change.")
    champs_modifies: tuple[ChampDemande, ...] = Field(
        description="Paths of the changed fields; empty when the source cannot tell.")
    auteur: AuteurModification
    guichet: Guichet | None = Field(default=None, description="The desk, when auteur is guichet.")
    date_modification: date

    @model_validator(mode="after")
    def _guichet_known(self) -> "DemandeModifiee":
        if self.auteur is AuteurModification.GUICHET and self.guichet is None:
            raise ValueError("guichet: required when auteur is guichet (the law requires tracing the desk)")
        return self

    def communes(self) -> frozenset[str]:
        return self.demande.communes_souhaitees()


@register_event
class DemandeRectifiee(SurDemande):
    """An authorised desk corrected the demand on the strength of a supporting document."""

    event_type: ClassVar[str] = "demande_rectifiee.v1"

    demande: Demande = Field(description="The demand's full state after the correction.")
    champs_rectifies: tuple[ChampDemande, ...] = Field(min_length=1)
    piece_id: IdPiece = Field(description="The supporting document the correction rests on.")
    guichet: Guichet
    date_rectification: date

    def communes(self) -> frozenset[str]:
        return self.demande.communes_souhaitees()
