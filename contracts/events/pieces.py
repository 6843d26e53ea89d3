"""Supporting documents of the dossier unique: piece_deposee, piece_demandee, piece_marquee.

Events carry a document's reference and fingerprint, never its content: partners fetch the scan from the dossier
unique under its own access rules.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field

from contracts.base import personal
from contracts.enums import AuteurModification, MarquePiece, PersonneConcernee, TypePiece
from contracts.events.common import SurDemande
from contracts.registry import register_event
from contracts.scalars import IdPiece, MediaType, Sha256, Texte

__all__ = ["PieceDeposee", "PieceDemandee", "PieceMarquee"]


@register_event
class PieceDeposee(SurDemande):
    """A supporting document was added to the dossier unique."""

    event_type: ClassVar[str] = "piece_deposee.v1"

    piece_id: IdPiece
    type_piece: TypePiece
    personne: PersonneConcernee = PersonneConcernee.MENAGE
    date_depot: date
    deposant: AuteurModification
    media_type: MediaType | None = None
    taille_octets: int | None = Field(default=None, ge=0, le=100_000_000)
    sha256: Sha256 | None = None
    nom_fichier: str | None = personal(None, max_length=255, description="File names often hold a name.")


@register_event
class PieceDemandee(SurDemande):
    """A desk or a landlord asked the applicant for a document."""

    event_type: ClassVar[str] = "piece_demandee.v1"

    type_piece: TypePiece
    personne: PersonneConcernee = PersonneConcernee.MENAGE
    date_demande: date
    date_limite: date | None = None
    precision: Texte | None = personal(None)


@register_event
class PieceMarquee(SurDemande):
    """A document was marked unusable, outside the regulatory list, or obsolete."""

    event_type: ClassVar[str] = "piece_marquee.v1"

    piece_id: IdPiece
    marque: MarquePiece
    date_marquage: date
    commentaire: Texte | None = personal(None)
