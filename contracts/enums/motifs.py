"""Reasons for a housing demand (CERFA 14069, "motif de votre demande").

Values 01-23 are the SNE codes (ListeMotifDemande). The SNE merges some situations that cotation grids and the
priority criteria of CCH L441-1 tell apart (non-decent vs unfit housing, the victims' situations…): those are Relais
extensions in lower case. A source that only knows the SNE's merged code sends it; one that knows better sends the
finer value.
"""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["MotifDemande"]


class MotifDemande(CodedEnum):
    """One reason declared for the demand (several may be)."""

    SANS_LOGEMENT = "01", "Sans logement, hébergé(e) ou en logement temporaire"
    DEMOLITION = "02", "Logement bientôt démoli"
    NON_DECENT_INSALUBRE = "03", "Logement non décent, insalubre ou dangereux, ou local impropre à l'habitation"
    REPRIS_OU_VENDU = "04", "Logement repris ou mis en vente par son propriétaire"
    EXPULSION = "05", "Procédure d'expulsion"
    VIOLENCES_FAMILIALES = "06", "Violences familiales, violences au sein du couple"
    HANDICAP = "07", "Handicap (logement inadapté)"
    SANTE = "08", "Raisons de santé"
    TROP_CHER = "09", "Logement trop cher, loyer trop élevé"
    TROP_GRAND = "10", "Logement trop grand"
    DIVORCE_SEPARATION = "11", "Divorce, séparation, dissolution de PACS"
    DECOHABITATION = "12", "Décohabitation"
    TROP_PETIT = "13", "Logement trop petit"
    FUTUR_COUPLE = "14", "Futur mariage, concubinage, PACS"
    REGROUPEMENT_FAMILIAL = "15", "Regroupement familial"
    ASSISTANT_MATERNEL = "16", "Assistant(e) maternel(le) ou familial(e)"
    ENVIRONNEMENT_VOISINAGE = "17", "Problèmes d'environnement ou de voisinage"
    MUTATION_PROFESSIONNELLE = "18", "Mutation professionnelle, changement de lieu de travail"
    RAPPROCHEMENT_TRAVAIL = "19", "Rapprochement du lieu de travail"
    RAPPROCHEMENT_SERVICES = "20", "Rapprochement des équipements et services"
    RAPPROCHEMENT_FAMILLE = "21", "Rapprochement de la famille"
    ACCEDANT_EN_DIFFICULTE = "22", "Accédant à la propriété en difficulté"
    AUTRE = "23", "Autre motif particulier"
    # Relais extensions: finer than the SNE's codes.
    LOGEMENT_NON_DECENT = "logement_non_decent", "Logement non décent"
    LOGEMENT_INDIGNE = "logement_indigne", "Logement indigne (insalubre, dangereux, local impropre à l'habitation)"
    SUROCCUPATION = "suroccupation", "Logement suroccupé"
    MARIAGE_FORCE = "mariage_force", "Menace de mariage forcé"
    AGRESSION_SEXUELLE = "agression_sexuelle", "Victime de viol ou d'agression sexuelle au domicile ou à ses abords"
    SORTIE_PROSTITUTION = "sortie_prostitution", "Parcours de sortie de la prostitution"
    TRAITE_ETRES_HUMAINS = "traite_etres_humains", "Victime de traite des êtres humains ou de proxénétisme"
    SORTIE_ASE = "sortie_ase", "Jeune sortant de l'aide sociale à l'enfance (ASE)"
    PERTE_AUTONOMIE = "perte_autonomie", "Logement inadapté à la perte d'autonomie"
    DEPART_PERSONNES_A_CHARGE = "depart_personnes_a_charge", "Départ de personne(s) à charge du foyer"
