"""The dwellings of a demand (CERFA 14069 sections 5 and 7): the current one, and the one wished for.

Why the current commune and typology are kept apart from the (personal) address: statistics per commune and the
follow-up of mutations need them, while the address must not travel to partners who only count.
"""

from __future__ import annotations

from pydantic import Field, model_validator

from contracts.base import Contract, LegalEntity, personal
from contracts.enums import CategorieLogement, SituationLogementActuel, TypeHabitatRecherche, Typologie
from contracts.identifiers import CodeInsee, Rpls
from contracts.scalars import Montant

__all__ = ["LogementActuel", "Souhaits", "Mutation"]


class LogementActuel(Contract):
    """Where and how the household lives today."""

    situation: SituationLogementActuel
    commune: CodeInsee | None = None
    typologie: Typologie | None = None
    categorie: CategorieLogement | None = None
    surface_m2: int | None = Field(default=None, ge=1, le=2000)
    nombre_occupants: int | None = Field(default=None, ge=1, le=50)
    loyer_mensuel: Montant | None = personal(None, description="Rent and charges, euros a month.")
    aide_logement_mensuelle: Montant | None = personal(None, description="APL or AL received, euros a month.")


class Mutation(Contract):
    """A current social tenant asking to move within the social stock: the landlord and dwelling left behind."""

    bailleur: LegalEntity | None = None
    rpls: Rpls | None = Field(default=None, description="RPLS identifier of the dwelling occupied today.")


class Souhaits(Contract):
    """The dwelling wished for: communes, typologies, individual or collective, accessibility."""

    communes: tuple[CodeInsee, ...] = Field(default=(), description="Wished communes, by order of preference.")
    typologies: tuple[Typologie, ...] = ()
    type_habitat: TypeHabitatRecherche | None = None
    surface_min_m2: int | None = Field(default=None, ge=1, le=2000)
    loyer_max_mensuel: Montant | None = None
    ascenseur_requis: bool | None = None
    rez_de_chaussee_requis: bool | None = None
    accessible_fauteuil_roulant: bool | None = None
    demande_elargie: bool | None = Field(
        default=None, description="The applicant accepts proposals beyond the communes and typologies wished "
        "(SNE demandeElargie).")

    @model_validator(mode="after")
    def _no_duplicates(self) -> "Souhaits":
        if len(set(self.communes)) != len(self.communes):
            raise ValueError("communes: a commune is listed twice")
        if len(set(self.typologies)) != len(self.typologies):
            raise ValueError("typologies: a typology is listed twice")
        return self
