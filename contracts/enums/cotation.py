"""The criteria of a cotation (scoring) grid: one member per row of the Thiers Dore et Montagne grid (PPGID
2023-2029, §1.1.7), which is the default grid, plus ``critere_local`` for a territory's own criteria.

Why an enum although grids are configuration: a demand's score must be explainable criterion by criterion to the
applicant and to every partner, so criterion names must mean the same thing everywhere. A territory whose grid
names a new criterion adds a member (an additive change: same contract version).
"""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["CritereCotation", "CategorieCritere"]


class CategorieCritere(CodedEnum):
    """The three blocks of a cotation grid."""

    LOGEMENT_ACTUEL = "logement_actuel", "Logement actuel"
    SITUATION_PERSONNELLE = "situation_personnelle", "Situation personnelle"
    MOTIF = "motif", "Motif de la demande"
    LOCAL = "local", "Critère local"


class CritereCotation(CodedEnum):
    """A criterion of a cotation grid."""

    # Logement actuel
    SANS_ABRI = "sans_abri", "Dépourvu de logement ou d'hébergement, sans abri, habitat de fortune, bidonville"
    HOTEL = "hotel", "À l'hôtel"
    CAMPING = "camping", "Camping"
    HABITAT_MOBILE = "habitat_mobile", "Habitat mobile"
    SQUAT = "squat", "Occupant sans titre, squat"
    STRUCTURE_HEBERGEMENT = "structure_hebergement", "Hébergé en établissement ou en logement de transition"
    RHVS = "rhvs", "Résidence hôtelière à vocation sociale"
    CENTRE_ENFANCE_FAMILLE = ("centre_enfance_famille",
                              "Centre départemental de l'enfance et de la famille, centre maternel")
    LOGEMENT_FOYER = "logement_foyer", "Logement-foyer, résidence sociale, pension de famille"
    HEBERGE_TIERS = "heberge_tiers", "Hébergé par des tiers"
    CHEZ_PARENTS_ENFANTS = "chez_parents_enfants", "Chez ses parents ou ses enfants"
    LOGEMENT_TEMPORAIRE = "logement_temporaire", "Logement temporaire (sous-location)"
    LOCATAIRE_HLM = "locataire_hlm", "Locataire d'un logement social"
    LOCATAIRE_PRIVE = "locataire_prive", "Locataire ou sous-locataire d'un logement privé"
    LOGEMENT_FONCTION = "logement_fonction", "Logement de fonction"
    PROPRIETAIRE_OCCUPANT = "proprietaire_occupant", "Propriétaire occupant"
    RESIDENCE_ETUDIANTE = "residence_etudiante", "Résidence étudiante ou universitaire"
    APPARTEMENT_COORDINATION_THERAPEUTIQUE = ("appartement_coordination_therapeutique",
                                              "Appartement de coordination thérapeutique")
    # Situation personnelle
    DALO = "dalo", "Reconnu prioritaire DALO"
    CHOMAGE_LONGUE_DUREE = "chomage_longue_duree", "Période de chômage de longue durée"
    HANDICAP = "handicap", "Personne en situation de handicap"
    PREMIER_QUARTILE = "premier_quartile", "Ressources du premier quartile des demandeurs"
    ETUDIANT_APPRENTI = "etudiant_apprenti", "Étudiant, apprenti ou alternant"
    SALARIE_PRIVE = "salarie_prive", "Salarié du privé"
    FONCTIONNAIRE = "fonctionnaire", "Fonctionnaire"
    ANCIENNETE = "anciennete", "Ancienneté de la demande"
    TRAVAILLEUR_CLE = "travailleur_cle", "Travailleur clé"
    RETRAITE = "retraite", "Retraité"
    TRAVAILLEUR_INDEPENDANT = "travailleur_independant", "Travailleur indépendant"
    REFUS_OFFRE_ADAPTEE = "refus_offre_adaptee", "Refus, visite sans suite ou non-réponse à une offre adaptée"
    MOINS_DE_30_ANS = "moins_de_30_ans", "Jeune de moins de 30 ans"
    PLUS_DE_75_ANS = "plus_de_75_ans", "Senior de plus de 75 ans"
    # Motif de la demande
    VIOLENCES_VICTIMES = ("violences_victimes", "Violences conjugales, mariage forcé, agression sexuelle, "
                          "sortie de prostitution, traite, sortie de l'ASE")
    MENACE_EXPULSION = "menace_expulsion", "Menacé d'expulsion sans relogement"
    LOGEMENT_INDIGNE = "logement_indigne", "Logement indigne"
    NON_DECENT_AVEC_MINEUR = "non_decent_avec_mineur", "Logement non décent, avec au moins un mineur"
    SUROCCUPATION_AVEC_MINEUR = "suroccupation_avec_mineur", "Suroccupation, avec au moins un mineur"
    NON_DECENT_SANS_MINEUR = "non_decent_sans_mineur", "Logement non décent, sans mineur"
    CHANGEMENT_LIEU_TRAVAIL = "changement_lieu_travail", "Changement de lieu de travail"
    REPRIS_OU_VENDU = "repris_ou_vendu", "Logement repris ou mis en vente par son propriétaire"
    DEMOLITION = "demolition", "Logement bientôt démoli"
    INADAPTE_HANDICAP_AUTONOMIE = ("inadapte_handicap_autonomie",
                                   "Logement inadapté au handicap ou à la perte d'autonomie")
    LOYER_TROP_ELEVE = "loyer_trop_eleve", "Loyer trop élevé"
    DIVORCE_SEPARATION = "divorce_separation", "Divorce ou séparation"
    SUROCCUPATION_SANS_MINEUR = "suroccupation_sans_mineur", "Suroccupation, sans mineur"
    ELOIGNE_TRAVAIL = "eloigne_travail", "Logement éloigné du lieu de travail"
    ELOIGNE_EQUIPEMENTS = "eloigne_equipements", "Logement éloigné des équipements et services"
    RAPPROCHEMENT_FAMILIAL = "rapprochement_familial", "Rapprochement familial"
    TROP_GRAND = "trop_grand", "Logement trop grand"
    DEPART_PERSONNES_A_CHARGE = "depart_personnes_a_charge", "Départ de personne(s) à charge du foyer"
    ELOIGNE_FAMILLE = "eloigne_famille", "Logement éloigné de la famille"
    TROP_PETIT = "trop_petit", "Logement trop petit"
    # A territory's own criterion, named in the breakdown line's label.
    CRITERE_LOCAL = "critere_local", "Critère local"

    @property
    def categorie(self) -> CategorieCritere:
        """The grid block this criterion belongs to."""
        return _CATEGORIES[self]


def _categories() -> dict[CritereCotation, CategorieCritere]:
    members = list(CritereCotation)
    first_personal = members.index(CritereCotation.DALO)
    first_motif = members.index(CritereCotation.VIOLENCES_VICTIMES)
    result = {}
    for index, member in enumerate(members):
        if member is CritereCotation.CRITERE_LOCAL:
            result[member] = CategorieCritere.LOCAL
        elif index < first_personal:
            result[member] = CategorieCritere.LOGEMENT_ACTUEL
        elif index < first_motif:
            result[member] = CategorieCritere.SITUATION_PERSONNELLE
        else:
            result[member] = CategorieCritere.MOTIF
    return result


_CATEGORIES = _categories()
