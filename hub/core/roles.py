"""The kinds of partner a connector speaks for; the access policy decides on them (docs/domain.md, "Who may read
nominative data")."""

from __future__ import annotations

from enum import Enum

__all__ = ["PartnerRole"]


class PartnerRole(str, Enum):
    SNE = "sne"                           # national registration system (system of record)
    FICHIER_PARTAGE = "fichier_partage"   # departmental shared file, e.g. Habisoft (system of record)
    GUICHET = "guichet"                   # registration desk
    BAILLEUR = "bailleur"                 # social landlord (its CALEOL), also a registration service
    RESERVATAIRE = "reservataire"         # holder of reservation rights: sees only its communes
    SIAO = "siao"
    COMED = "comed"                       # DALO mediation commission (a State service)
    ETAT = "etat"                         # State services: reservations, DALO, PDALHPD
    EPCI = "epci"                         # the territory authority running the PPGD
    GESTIONNAIRE = "gestionnaire"         # the shared device's manager
    DEPARTEMENT = "departement"           # departmental services running complex-case commissions
    PROCESSOR = "processor"               # a processor of the hub itself (cotation, lists, statistics)
    AUTRE = "autre"                       # anything else: never receives nominative data
