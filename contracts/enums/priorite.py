"""Coded values about priority: CCH L441-1 criteria, priority labels, contingents, SIAO and DALO outcomes."""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["CriterePrioriteL441", "NatureLabel", "Contingent", "AccordCollectif", "MotifLevee", "StatutSyplo",
           "ObjetTransmissionSiao", "TypePreconisationSiao", "SensDecisionDalo", "SituationDalo",
           "TypologieLogementDalo"]


class CriterePrioriteL441(CodedEnum):
    """The 12 general priority criteria of CCH L441-1 (as amended by the ELAN law)."""

    HANDICAP = "handicap", "Personne en situation de handicap ou ayant à charge une personne handicapée"
    DEFAVORISE = "defavorise", "Personne mal logée, défavorisée ou en difficulté particulière de logement"
    HEBERGE_TEMPORAIREMENT = ("heberge_temporairement",
                              "Personne hébergée ou logée temporairement (établissement, logement de transition)")
    REPRISE_ACTIVITE = "reprise_activite", "Personne reprenant une activité après un chômage de longue durée"
    HABITAT_INDIGNE = "habitat_indigne", "Personne exposée à une situation d'habitat indigne"
    VIOLENCES_COUPLE = "violences_couple", "Violences au sein du couple ou menace de mariage forcé"
    AGRESSION_SEXUELLE = "agression_sexuelle", "Victime de viol ou d'agression sexuelle au domicile ou à ses abords"
    SORTIE_PROSTITUTION = "sortie_prostitution", "Personne engagée dans le parcours de sortie de la prostitution"
    TRAITE = "traite", "Victime de traite des êtres humains ou de proxénétisme"
    MINEUR_SUROCCUPATION = ("mineur_suroccupation",
                            "Enfant mineur à charge et logement suroccupé ou non décent")
    SANS_LOGEMENT = "sans_logement", "Personne dépourvue de logement, y compris hébergée par des tiers"
    MENACE_EXPULSION = "menace_expulsion", "Personne menacée d'expulsion sans relogement"


class NatureLabel(CodedEnum):
    """What makes a demand priority, and who said so (a "label" in the shared file).

    The ``l441_1_*`` values carry one CCH L441-1 criterion each (see :attr:`critere_l441`).
    """

    DALO = "dalo", "Prioritaire et urgent DALO (commission de médiation)"
    SIAO = "siao", "Labellisé par le SIAO"
    PDALHPD = "pdalhpd", "Prioritaire au titre du PDALHPD"
    CIA = "cia", "Public prioritaire de la convention intercommunale d'attribution"
    ACD = "acd", "Accord collectif départemental"
    ACI = "aci", "Accord collectif intercommunal"
    PPGID = "ppgid", "Situation justifiant un examen particulier (PPGID)"
    RESERVATAIRE = "reservataire", "Prioritaire désigné par un réservataire"
    BAILLEUR = "bailleur", "Prioritaire au titre de l'obligation du bailleur (25 %)"
    L441_1_HANDICAP = "l441_1_handicap", "L441-1 : handicap"
    L441_1_DEFAVORISE = "l441_1_defavorise", "L441-1 : mal logé, défavorisé"
    L441_1_HEBERGE_TEMPORAIREMENT = "l441_1_heberge_temporairement", "L441-1 : hébergé ou logé temporairement"
    L441_1_REPRISE_ACTIVITE = "l441_1_reprise_activite", "L441-1 : reprise d'activité après chômage de longue durée"
    L441_1_HABITAT_INDIGNE = "l441_1_habitat_indigne", "L441-1 : habitat indigne"
    L441_1_VIOLENCES_COUPLE = "l441_1_violences_couple", "L441-1 : violences au sein du couple, mariage forcé"
    L441_1_AGRESSION_SEXUELLE = "l441_1_agression_sexuelle", "L441-1 : viol ou agression sexuelle"
    L441_1_SORTIE_PROSTITUTION = "l441_1_sortie_prostitution", "L441-1 : sortie de la prostitution"
    L441_1_TRAITE = "l441_1_traite", "L441-1 : traite des êtres humains, proxénétisme"
    L441_1_MINEUR_SUROCCUPATION = "l441_1_mineur_suroccupation", "L441-1 : mineur en logement suroccupé ou indécent"
    L441_1_SANS_LOGEMENT = "l441_1_sans_logement", "L441-1 : dépourvu de logement"
    L441_1_MENACE_EXPULSION = "l441_1_menace_expulsion", "L441-1 : menacé d'expulsion sans relogement"

    @property
    def critere_l441(self) -> CriterePrioriteL441 | None:
        """The CCH L441-1 criterion this label stands for, if it is one."""
        prefix = "l441_1_"
        return CriterePrioriteL441(self.value[len(prefix):]) if self.value.startswith(prefix) else None


class Contingent(CodedEnum):
    """A reservation contingent an attribution is charged to (SNE ListeTypeReservataire)."""

    COLLECTIVITES = "COLTER", "Contingent des collectivités territoriales, de leurs établissements et des EPCI"
    ACTION_LOGEMENT = "COLACT", "Contingent d'Action Logement (employeurs)"
    PREFET_PRIORITAIRES = "PPRIOR", "Contingent préfectoral, publics prioritaires"
    PREFET_FONCTIONNAIRES = "PFONCT", "Contingent préfectoral, fonctionnaires et agents publics de l'État"
    AUTRES = "AUTRES", "Contingent d'autres réservataires"
    HORS_CONTINGENT = "AUCUN", "Hors contingent (contingent propre du bailleur)"


class AccordCollectif(CodedEnum):
    """Whether an attribution falls under a collective agreement (SNE ListeAccordCollectif)."""

    ACD = "ACD", "Accord collectif départemental"
    ACI = "ACI", "Accord collectif intercommunal"
    AUCUN = "AUCUN", "Aucun"


class MotifLevee(CodedEnum):
    """Why a priority label is lifted."""

    FIN_VALIDITE = "fin_validite", "Fin de validité"
    SITUATION_RESOLUE = "situation_resolue", "Situation résolue"
    ATTRIBUTION = "attribution", "Logement attribué"
    RADIATION = "radiation", "Demande radiée"
    DECISION_CONTRAIRE = "decision_contraire", "Décision contraire de l'instance"
    ERREUR = "erreur", "Label posé par erreur"


class StatutSyplo(CodedEnum):
    """Status of the household in Syplo, the State's priority-public tool (SI-SIAO vocabulary)."""

    INSCRIT = "INSCRIT", "Inscrit"
    NON_INSCRIT = "NON_INSCRIT", "Non inscrit"
    NE_RELEVE_PAS = "NE_RELEVE_PAS", "Ne relève pas du contingent"


class ObjetTransmissionSiao(CodedEnum):
    """Why a demand is sent to the SIAO."""

    DEMANDE_LABELLISATION = "demande_labellisation", "Demande de labellisation"
    ACTUALISATION = "actualisation", "Actualisation de la situation"
    SORTIE_HEBERGEMENT = "sortie_hebergement", "Sortie d'hébergement vers le logement"


class TypePreconisationSiao(CodedEnum):
    """The kind of housing or accommodation the SIAO recommends."""

    LOGEMENT_ORDINAIRE = "logement_ordinaire", "Logement ordinaire"
    LOGEMENT_ACCOMPAGNE = "logement_accompagne", "Logement avec accompagnement social"
    INTERMEDIATION_LOCATIVE = "intermediation_locative", "Intermédiation locative, bail glissant"
    PENSION_DE_FAMILLE = "pension_de_famille", "Pension de famille, maison-relais"
    RESIDENCE_SOCIALE = "residence_sociale", "Résidence sociale, logement-foyer"
    HEBERGEMENT = "hebergement", "Hébergement"


class SensDecisionDalo(CodedEnum):
    """Decision of the DALO mediation commission (COMED) on an appeal."""

    PRIORITAIRE_ET_URGENT = "prioritaire_et_urgent", "Prioritaire et devant être logé en urgence"
    REORIENTATION_HEBERGEMENT = "reorientation_hebergement", "Réorientation vers un hébergement"
    REJET = "rejet", "Rejet (décision défavorable)"
    IRRECEVABLE = "irrecevable", "Recours irrecevable"
    SANS_OBJET = "sans_objet", "Sans objet (relogé, désistement)"


class SituationDalo(CodedEnum):
    """The situations of CCH L441-2-3 on which a DALO appeal may rest."""

    DEPOURVU_LOGEMENT = "depourvu_logement", "Dépourvu de logement (sans domicile, hébergé par un tiers)"
    MENACE_EXPULSION = "menace_expulsion", "Menacé d'expulsion sans relogement"
    HEBERGE_STRUCTURE = "heberge_structure", "Hébergé en structure ou logé temporairement"
    LOCAL_IMPROPRE_INSALUBRE = "local_impropre_insalubre", "Local impropre à l'habitation, insalubre ou dangereux"
    SUROCCUPE_NON_DECENT = ("suroccupe_non_decent",
                            "Logement suroccupé ou non décent avec enfant mineur ou personne handicapée")
    DELAI_ANORMALEMENT_LONG = "delai_anormalement_long", "Demande sans proposition au-delà du délai anormalement long"
    HANDICAP_LOGEMENT_INADAPTE = "handicap_logement_inadapte", "Personne handicapée dans un logement inadapté"


class TypologieLogementDalo(CodedEnum):
    """The dwelling a COMED decision calls for: the SNE's ListeTypologieLogementDalo (the official interface's codes,
    as the public client ``libsne`` lists them). Unlike :class:`Typologie` it has ranges of sizes, dwellings adapted
    to a disability, "to be defined", a reorientation to accommodation and sub-letting."""

    T1 = "01", "T1"
    T2 = "02", "T2"
    T3 = "03", "T3"
    T4 = "04", "T4"
    T5 = "05", "T5"
    T6_ET_PLUS = "06", "T6 et plus"
    INDIVIDUEL = "08", "Maison individuelle"
    A_DEFINIR = "09", "Typologie à définir"
    T1_ADAPTE = "21", "T1 adapté au handicap"
    T2_ADAPTE = "22", "T2 adapté au handicap"
    T3_ADAPTE = "23", "T3 adapté au handicap"
    T4_ADAPTE = "24", "T4 adapté au handicap"
    T5_ADAPTE = "25", "T5 adapté au handicap"
    T6_ET_PLUS_ADAPTE = "26", "T6 et plus adapté au handicap"
    INDIVIDUEL_ADAPTE = "28", "Maison individuelle adaptée au handicap"
    REORIENTATION_HEBERGEMENT = "30", "Réorientation vers un hébergement"
    A_DEFINIR_ADAPTE = "31", "Typologie à définir, adaptée au handicap"
    T1_T2 = "40", "T1 ou T2"
    T2_T3 = "41", "T2 ou T3"
    T3_T4 = "42", "T3 ou T4"
    T4_T5 = "43", "T4 ou T5"
    T5_T6 = "44", "T5 ou T6"
    T1_T2_ADAPTE = "45", "T1 ou T2 adapté au handicap"
    T2_T3_ADAPTE = "46", "T2 ou T3 adapté au handicap"
    T3_T4_ADAPTE = "47", "T3 ou T4 adapté au handicap"
    T4_T5_ADAPTE = "48", "T4 ou T5 adapté au handicap"
    T5_T6_ADAPTE = "49", "T5 ou T6 adapté au handicap"
    SOUS_LOCATION = "50", "Sous-location"
    AUTRE = "99", "Autre"
