"""Coded values about dwellings: current housing situation, typology, kind of habitat (CERFA 14069 sections 5-7).

Values are SNE list codes where the SNE has one (ListeModeleLogement, ListeTypeLogement, ListeCategorieLogement…);
lower-case values are Relais extensions for situations that cotation grids name but the SNE list lacks.
"""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["SituationLogementActuel", "Typologie", "CategorieLogement", "TypeHabitatRecherche"]


class SituationLogementActuel(CodedEnum):
    """Where the household lives today (SNE ListeModeleLogement, plus extensions)."""

    LOCATAIRE_HLM = "HLM", "Locataire d'un logement social (HLM)"
    LOCATAIRE_PRIVE = "LP", "Locataire ou sous-locataire d'un logement privé"
    LOGEMENT_FOYER = "RS", "Logement-foyer (FJT, FTM, FPA, FPH), résidence sociale ou pension de famille"
    RHVS = "RHVS", "Résidence hôtelière à vocation sociale"
    RESIDENCE_ETUDIANTE = "RE", "Résidence étudiante ou universitaire"
    LOGEMENT_TEMPORAIRE = "SLHT", "Sous-locataire ou hébergé dans un logement à titre temporaire"
    STRUCTURE_HEBERGEMENT = "SH", "Structure d'hébergement (CHRS, CHU, CADA…) ou logement de transition"
    CENTRE_ENFANCE_FAMILLE = "CDEFCM", "Centre départemental de l'enfance et de la famille ou centre maternel"
    CHEZ_PARENTS_ENFANTS = "CPE", "Hébergé(e) chez ses parents ou ses enfants"
    CHEZ_PARTICULIER = "CP", "Hébergé(e) chez un particulier"
    TITRE_GRATUIT = "LTG", "Logé(e) à titre gratuit"
    LOGEMENT_FONCTION = "FONC", "Logement de fonction"
    PROPRIETAIRE_OCCUPANT = "POCC", "Propriétaire occupant"
    CAMPING = "CAMCAR", "Camping, caravaning"
    HOTEL = "HOT", "Logé(e) à l'hôtel"
    SANS_ABRI = "SD", "Sans abri, abri de fortune, bidonville"
    SQUAT = "SQUAT", "Occupant sans titre, squat"
    # Relais extensions: named by cotation grids, absent from the SNE list.
    HABITAT_MOBILE = "habitat_mobile", "Habitat mobile"
    APPARTEMENT_COORDINATION_THERAPEUTIQUE = ("appartement_coordination_therapeutique",
                                              "Appartement de coordination thérapeutique")


class Typologie(CodedEnum):
    """Size of a dwelling in rooms (SNE ListeTypeLogement); statistics count rooms and T1 together."""

    CHAMBRE = "C", "Chambre"
    T1 = "T1", "T1"
    T2 = "T2", "T2"
    T3 = "T3", "T3"
    T4 = "T4", "T4"
    T5 = "T5", "T5"
    T6_ET_PLUS = "T6P", "T6 et plus"


class CategorieLogement(CodedEnum):
    """Kind of the current dwelling (SNE ListeCategorieLogement)."""

    APPARTEMENT = "A", "Appartement (collectif)"
    MAISON = "M", "Maison (individuel)"


class TypeHabitatRecherche(CodedEnum):
    """Individual or collective housing wished (SNE ListeCategorieLogementRecherche)."""

    COLLECTIF = "A", "Appartement (collectif)"
    INDIVIDUEL = "M", "Maison (individuel)"
    INDIFFERENT = "I", "Indifférent"
