"""Coded values of the CERFA's disability complement ("complément handicap"); values are SNE list codes."""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["EtatHandicap", "CapaciteMarche", "NatureHandicapMoteur", "NatureHandicapSensoriel", "AideTechnique",
           "EquipementHandicap"]


class EtatHandicap(CodedEnum):
    """Whether the disability is stable (SNE ListeEtatHandicap)."""

    STABILISE = "STA", "Stabilisé"
    EVOLUTIF = "EVO", "Évolutif"


class CapaciteMarche(CodedEnum):
    """How many steps the person can climb (SNE ListeCapaciteMarcheHandicap)."""

    IMPOSSIBLE = "1", "Impossible"
    UNE_A_TROIS_MARCHES = "2", "1 à 3 marches"
    PREMIER_ETAGE = "3", "Jusqu'au 1er étage"
    PLUS_D_UN_ETAGE = "4", "Plus d'un étage"


class NatureHandicapMoteur(CodedEnum):
    """Limbs affected by a motor disability (SNE ListeNatureHandicapMoteur)."""

    MEMBRES_SUPERIEURS = "MS", "Membre(s) supérieur(s)"
    MEMBRES_INFERIEURS = "MI", "Membre(s) inférieur(s)"


class NatureHandicapSensoriel(CodedEnum):
    """Sensory disability (SNE ListeNatureHandicapSensoriel)."""

    AUDITIF = "DA", "Déficience auditive"
    VISUEL = "DV", "Déficience visuelle"


class AideTechnique(CodedEnum):
    """Technical aid used (SNE ListeAideTechniqueHandicap)."""

    AUCUNE = "1", "Aucune"
    CANNE = "2", "Canne, béquille"
    DEAMBULATEUR = "3", "Déambulateur"
    FAUTEUIL_MANUEL = "4", "Fauteuil roulant manuel"
    FAUTEUIL_ELECTRIQUE = "5", "Fauteuil roulant électrique"
    LEVE_PERSONNE = "6", "Lève-personne"
    LIT_MEDICALISE = "7", "Lit médicalisé"


class EquipementHandicap(CodedEnum):
    """Equipment the dwelling must offer (SNE ListeEquipementHandicap)."""

    BAIGNOIRE_ADAPTEE = "1", "Baignoire adaptée"
    WC_TRANSFERT = "2", "WC avec espace de transfert"
    DOUCHE_SANS_SEUIL = "3", "Douche sans seuil"
    ASCENSEUR = "4", "Ascenseur"
    CHAMBRE_TIERCE_PERSONNE = "5", "Chambre pour une tierce personne"
    STATIONNEMENT_ADAPTE = "6", "Place de stationnement accessible et de largeur adaptée"
