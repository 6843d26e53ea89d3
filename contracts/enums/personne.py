"""Coded values describing the people of a household (CERFA 14069 sections 1 to 4); values are SNE list codes."""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["Civilite", "Nationalite", "SituationFamiliale", "LienDemandeur", "Sexe", "LienParente", "Coparentalite",
           "StatutProfessionnel", "SecteurEmploi", "PersonneConcernee"]


class Civilite(CodedEnum):
    """Civilité (SNE ListeCivilite)."""

    MONSIEUR = "1", "Monsieur"
    MADAME = "2", "Madame"


class Nationalite(CodedEnum):
    """Nationality group, which decides the residence-permit checks (SNE ListeNationalite)."""

    FRANCAISE = "1", "Française"
    UNION_EUROPEENNE = "2", "Union européenne"
    HORS_UNION_EUROPEENNE = "3", "Hors Union européenne"


class SituationFamiliale(CodedEnum):
    """Marital status (SNE ListeSituationFamiliale)."""

    CELIBATAIRE = "C", "Célibataire"
    MARIE = "M", "Marié(e)"
    DIVORCE = "D", "Divorcé(e)"
    SEPARE = "S", "Séparé(e)"
    PACSE = "P", "Pacsé(e)"
    CONCUBIN = "U", "Concubin(e)"
    VEUF = "V", "Veuf(ve)"


class LienDemandeur(CodedEnum):
    """Link of the co-applicant (co-titulaire du bail) with the applicant (SNE ListeLienDemandeur)."""

    CONJOINT = "M", "Conjoint(e)"
    PACSE = "P", "Partenaire de PACS"
    CONCUBIN = "C", "Concubin(e)"
    COLOCATAIRE = "L", "Co-locataire"


class Sexe(CodedEnum):
    """Sex of a dependant (SNE ListeSexe)."""

    MASCULIN = "M", "Masculin"
    FEMININ = "F", "Féminin"


class LienParente(CodedEnum):
    """Link of a dependant with the applicant (SNE ListeLienParente)."""

    PARENT = "P", "Parent"
    ENFANT = "E", "Enfant"
    AUTRE = "A", "Autre"


class Coparentalite(CodedEnum):
    """Shared custody of a child who lives part-time in the household (SNE ListeCoparentalite)."""

    GARDE_ALTERNEE = "G", "Garde alternée"
    DROIT_DE_VISITE = "D", "Droit de visite"


class StatutProfessionnel(CodedEnum):
    """Professional situation as ticked on the CERFA (SNE ListeTypeContratTravail)."""

    CDI = "CDI", "CDI (ou fonctionnaire)"
    CDD = "CDD", "CDD, stage, intérim"
    INDEPENDANT = "ART", "Artisan, commerçant, profession libérale"
    CHOMAGE = "CHO", "Chômage"
    APPRENTI = "APP", "Apprenti(e), alternant(e)"
    ETUDIANT = "ETU", "Étudiant(e)"
    RETRAITE = "RET", "Retraité(e)"
    AUTRE = "AUT", "Autre"


class SecteurEmploi(CodedEnum):
    """Employer's sector: cotation grids weigh private-sector employees and civil servants differently."""

    PRIVE = "prive", "Salarié(e) du secteur privé"
    FONCTION_PUBLIQUE = "fonction_publique", "Fonctionnaire ou agent public"


class PersonneConcernee(CodedEnum):
    """Which member of the household a document or a fact is about."""

    DEMANDEUR = "demandeur", "Demandeur"
    COTITULAIRE = "cotitulaire", "Co-titulaire"
    PERSONNE_A_CHARGE = "personne_a_charge", "Personne à charge"
    MENAGE = "menage", "Ensemble du ménage"
