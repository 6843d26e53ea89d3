"""Coded values about supporting documents (pièces justificatives) of the dossier unique.

Kinds follow the arrêté of 6 August 2018 on the CERFA and its supporting documents (annexed to the seed PPGID).
"""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["TypePiece", "MarquePiece"]


class TypePiece(CodedEnum):
    """Kind of supporting document."""

    IDENTITE = "identite", "Pièce d'identité, livret de famille ou acte de naissance"
    TITRE_SEJOUR = "titre_sejour", "Titre de séjour, justificatif du droit au séjour"
    TUTELLE_CURATELLE = "tutelle_curatelle", "Jugement de tutelle ou de curatelle"
    AVIS_IMPOSITION = "avis_imposition", "Avis d'imposition, revenu fiscal de référence"
    SITUATION_FAMILIALE = "situation_familiale", "Justificatif de situation familiale"
    GROSSESSE = "grossesse", "Certificat de grossesse"
    SITUATION_PROFESSIONNELLE = "situation_professionnelle", "Justificatif de situation professionnelle"
    RESSOURCES = "ressources", "Justificatif des ressources mensuelles"
    LOGEMENT_ACTUEL = "logement_actuel", "Justificatif du logement actuel"
    MOTIF = "motif", "Justificatif du motif de la demande"
    HANDICAP = "handicap", "Justificatif de handicap"
    PATRIMOINE = "patrimoine", "Déclaration sur la situation patrimoniale"
    AUTRE = "autre", "Autre pièce"


class MarquePiece(CodedEnum):
    """A mark a desk puts on a document so that partners stop relying on it."""

    INEXPLOITABLE = "inexploitable", "Inexploitable (illisible, incomplète)"
    HORS_PERIMETRE_REGLEMENTAIRE = "hors_perimetre_reglementaire", "Hors du périmètre réglementaire des pièces"
    OBSOLETE = "obsolete", "Obsolète"
