"""Coded values of the attribution process: designation, visits, the CALEOL's decisions, refusals."""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["TypeDecisionCal", "OrigineDesignation", "SuiteVisite", "MotifRefus"]


class TypeDecisionCal(CodedEnum):
    """The decisions a CALEOL may take (CCH R441-3)."""

    ATTRIBUTION = "attribution", "Attribution du logement"
    ATTRIBUTION_RANG = "attribution_rang", "Attribution en rang, sous réserve du refus des candidats placés devant"
    ATTRIBUTION_SOUS_CONDITION = "attribution_sous_condition", "Attribution sous condition suspensive"
    NON_ATTRIBUTION = "non_attribution", "Non-attribution"
    IRRECEVABILITE = "irrecevabilite", "Irrecevabilité de la demande"


class OrigineDesignation(CodedEnum):
    """Who designated the candidate for a dwelling."""

    BAILLEUR = "bailleur", "Bailleur"
    RESERVATAIRE = "reservataire", "Réservataire"


class SuiteVisite(CodedEnum):
    """What the household said after visiting."""

    INTERESSE = "interesse", "Intéressé"
    NON_INTERESSE = "non_interesse", "Non intéressé"
    ABSENT = "absent", "Ne s'est pas présenté"


class MotifRefus(CodedEnum):
    """Why the household refused a proposed dwelling."""

    LOCALISATION = "localisation", "Localisation, quartier"
    TYPOLOGIE_SURFACE = "typologie_surface", "Taille ou surface inadaptée"
    LOYER_CHARGES = "loyer_charges", "Loyer ou charges trop élevés"
    ETAT_LOGEMENT = "etat_logement", "État du logement"
    ACCESSIBILITE = "accessibilite", "Accessibilité, étage, absence d'ascenseur"
    ENVIRONNEMENT = "environnement", "Environnement, voisinage"
    SITUATION_CHANGEE = "situation_changee", "Situation du ménage changée, solution trouvée ailleurs"
    SANS_REPONSE = "sans_reponse", "Absence de réponse à la proposition"
    AUTRE = "autre", "Autre motif"
