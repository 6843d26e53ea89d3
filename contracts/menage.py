"""The people of a demand (CERFA 14069 sections 1-4): applicant, co-applicant, dependants, work and resources.

Shapes follow the SNE's ``personnePhysique`` so that the SNE connector maps field to field: identity, professional
situation, reference tax income N-1/N-2 and monthly resources by SNE code per adult; dependants; children in
shared custody; expected children. Everything identifying or financial is marked personal.
"""

from __future__ import annotations

from datetime import date

from pydantic import ConfigDict, Field

from contracts.base import PERSONAL_MODEL, Contract, personal
from contracts.enums import (
    Civilite, CodeRessource, Coparentalite, LienDemandeur, LienParente, Nationalite, SecteurEmploi, Sexe,
    SituationFamiliale, StatutProfessionnel,
)
from contracts.identifiers import CodeInsee
from contracts.scalars import Annee, CodePays, CodePostal, Courriel, Montant, Nom, Telephone

__all__ = ["Adresse", "Ressource", "RevenuFiscal", "Ressources", "SituationProfessionnelle", "Demandeur",
           "Cotitulaire", "PersonneACharge", "EnfantEnGarde", "EnfantsAttendus"]


class Adresse(Contract):
    """A postal address; personal as a whole."""

    model_config = ConfigDict(**PERSONAL_MODEL)

    numero: str | None = Field(default=None, max_length=20)
    voie: str | None = Field(default=None, max_length=200)
    complement: str | None = Field(default=None, max_length=200)
    code_postal: CodePostal | None = None
    commune: CodeInsee | None = Field(default=None, description="INSEE code, for an address in France.")
    localite: str | None = Field(default=None, max_length=100, description="Town name, for an address abroad.")
    pays: CodePays = Field(default="FR", description="ISO 3166-1 alpha-2 country code.")


class Ressource(Contract):
    """One monthly resource of one person."""

    code: CodeRessource
    montant_mensuel: Montant = personal(description="Monthly amount in euros.")


class RevenuFiscal(Contract):
    """Reference tax income (revenu fiscal de référence) of one year, from the tax notice."""

    annee: Annee
    montant: Montant | None = personal(None, description="Amount in euros; None when not yet known.")


class Ressources(Contract):
    """A person's resources: monthly ones by SNE code, and reference tax incomes N-1 and N-2."""

    mensuelles: tuple[Ressource, ...] = ()
    revenu_fiscal_n1: RevenuFiscal | None = None
    revenu_fiscal_n2: RevenuFiscal | None = None

    def total_mensuel(self) -> int:
        """Monthly resources received minus maintenance paid (PAV), in euros."""
        return sum(-r.montant_mensuel if r.code.versee else r.montant_mensuel for r in self.mensuelles)


class SituationProfessionnelle(Contract):
    """An adult's professional situation."""

    statut: StatutProfessionnel
    secteur: SecteurEmploi | None = None
    profession: str | None = personal(None, max_length=200)
    employeur: str | None = personal(None, max_length=200)
    commune_travail: CodeInsee | None = None
    code_postal_travail: CodePostal | None = Field(
        default=None, description="Postal code of the workplace (the CERFA asks for it with the commune).")
    chomage_longue_duree: bool | None = Field(
        default=None, description="Has lived a long period of unemployment (priority criterion, cotation).")


class _Identite(Contract):
    civilite: Civilite
    nom: Nom = personal(description="Nom d'usage.")
    nom_naissance: Nom | None = personal(None)
    prenom: Nom = personal()
    date_naissance: date = personal()
    nationalite: Nationalite


class Demandeur(_Identite):
    """The applicant (section 1 of the CERFA)."""

    situation_familiale: SituationFamiliale
    adresse: Adresse | None = None
    telephone: Telephone | None = personal(None)
    telephone_secondaire: Telephone | None = personal(
        None, description="A second number (the SNE has a mobile and a landline: this is the landline when both "
        "are given).")
    courriel: Courriel | None = personal(None)
    situation_professionnelle: SituationProfessionnelle | None = None
    ressources: Ressources = Ressources()


class Cotitulaire(_Identite):
    """The person who will co-sign the lease (spouse, partner, co-tenant)."""

    lien_demandeur: LienDemandeur
    situation_familiale: SituationFamiliale | None = None
    situation_professionnelle: SituationProfessionnelle | None = None
    ressources: Ressources = Ressources()


class PersonneACharge(Contract):
    """Another person who will live in the dwelling."""

    nom: Nom = personal()
    prenom: Nom = personal()
    date_naissance: date = personal()
    sexe: Sexe
    lien_parente: LienParente
    ressources: Ressources | None = None


class EnfantEnGarde(Contract):
    """A child living part-time in the household (shared custody or visiting rights)."""

    date_naissance: date = personal()
    sexe: Sexe
    coparentalite: Coparentalite


class EnfantsAttendus(Contract):
    """Expected children (pregnancy past twelve weeks)."""

    nombre: int = Field(ge=1, le=9)
    date_naissance_prevue: date | None = personal(None)

