"""Kinds of monthly resources of the CERFA 14069 (section "ressources"); values are the SNE resource codes."""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["CodeRessource"]


class CodeRessource(CodedEnum):
    """A monthly resource received (SNE ListeRessourceRecue) or paid (PAV, SNE ListeRessourceVersee).

    Housing benefits (APL, AL) are not resources here: the CERFA asks for them with the current housing.
    """

    SALAIRE = "SAL", "Salaire ou revenu d'activité"
    RETRAITE = "RET", "Retraite"
    CHOMAGE = "CHO", "Allocation chômage, indemnités"
    PENSION_ALIMENTAIRE_RECUE = "PAR", "Pension alimentaire reçue"
    PENSION_INVALIDITE = "PINV", "Pension d'invalidité"
    ALLOCATIONS_FAMILIALES = "AF", "Allocations familiales"
    AAH = "AAH", "Allocation aux adultes handicapés (AAH)"
    AEEH = "AEEH", "Allocation d'éducation de l'enfant handicapé (AEEH)"
    AJPP = "AJPP", "Allocation journalière de présence parentale (AJPP)"
    RSA = "RSA", "Revenu de solidarité active (RSA)"
    MINIMUM_VIEILLESSE = "AMV", "Allocation de minimum vieillesse"
    PAJE = "PAJE", "Prestation d'accueil du jeune enfant (PAJE)"
    BOURSE_ETUDIANT = "BE", "Bourse d'étudiant"
    AUTRE = "AUT", "Autre ressource (hors APL ou AL)"
    PENSION_ALIMENTAIRE_VERSEE = "PAV", "Pension alimentaire versée"

    @property
    def versee(self) -> bool:
        """True for a resource the household pays (it is deducted, not added)."""
        return self is CodeRessource.PENSION_ALIMENTAIRE_VERSEE
