"""Coded values of a demand's lifecycle: who changed it, how notices go out, why it is radiated or purged."""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["AuteurModification", "ModeAttestation", "CanalNotification", "MotifRadiation",
           "SousMotifIrrecevabilite", "MotifSuppression"]


class AuteurModification(CodedEnum):
    """Who changed a demand: the law requires telling the desk from the applicant (self-service online)."""

    GUICHET = "guichet", "Guichet d'enregistrement"
    DEMANDEUR = "demandeur", "Demandeur (saisie en ligne)"


class ModeAttestation(CodedEnum):
    """How the attestation d'enregistrement reached the applicant (CCH R441-2-4)."""

    REMISE = "remise", "Remise en mains propres"
    COURRIER = "courrier", "Courrier"
    COURRIEL = "courriel", "Courriel"


class CanalNotification(CodedEnum):
    """Channel of a notice sent to the applicant."""

    COURRIER = "courrier", "Courrier"
    COURRIEL = "courriel", "Courriel"
    LETTRE_RECOMMANDEE = "lettre_recommandee", "Lettre recommandée avec accusé de réception"


_RADIATION_SNE = {"attribution_bail_signe": "RADATT", "renonciation": "RADABA", "absence_reponse": "RADCON",
                  "irrecevabilite": "RADIRR", "non_renouvellement": "RADREN"}


class MotifRadiation(CodedEnum):
    """Why a demand is radiated: cases a) to f) of CCH R441-2-8."""

    ATTRIBUTION_BAIL_SIGNE = "attribution_bail_signe", "a) Attribution d'un logement suivie de la signature du bail"
    RENONCIATION = "renonciation", "b) Renonciation écrite du demandeur"
    ABSENCE_REPONSE = "absence_reponse", "c) Absence de réponse à un courrier, après avertissement"
    IRRECEVABILITE = "irrecevabilite", "d) Irrecevabilité prononcée par une commission d'attribution"
    NON_RENOUVELLEMENT = "non_renouvellement", "e) Non-renouvellement de la demande"
    FUSION = "fusion", "f) Fusion de numéros en un numéro unique"

    @property
    def lettre(self) -> str:
        """The case letter in CCH R441-2-8 (a to f)."""
        return self.label[0]

    @property
    def code_sne(self) -> str | None:
        """The SNE's radiation code (ListeMotifsRadiation); the SNE has none for a merge."""
        return _RADIATION_SNE.get(self.value)


class SousMotifIrrecevabilite(CodedEnum):
    """Why a commission found a demand inadmissible: only the legal conditions of access may be invoked."""

    RESSOURCES_SUPERIEURES_PLAFOND = "ressources_superieures_plafond", "Ressources supérieures au plafond"
    SEJOUR_IRREGULIER = "sejour_irregulier", "Irrégularité du séjour d'une personne majeure du ménage"

    @property
    def code_sne(self) -> str:
        """The SNE's code (ListeSousMotifRadiationIrrecevabilite)."""
        return {"ressources_superieures_plafond": "IRRRES", "sejour_irregulier": "IRRSEJ"}[self.value]


class MotifSuppression(CodedEnum):
    """Why a demand's personal data are purged."""

    CONSERVATION_ECHUE = "conservation_echue", "Durée de conservation échue après radiation (CNIL)"
    DOUBLON = "doublon", "Doublon supprimé"
    ERREUR_ENREGISTREMENT = "erreur_enregistrement", "Enregistrement fait par erreur"
