"""Coded values of the shared device's lists (PPGID §3.2): which list, why a household left it."""

from __future__ import annotations

from contracts.enums.base import CodedEnum

__all__ = ["ListeGestionPartagee", "MotifSortieListe"]


class ListeGestionPartagee(CodedEnum):
    """The three lists the shared device keeps and shares with every partner."""

    PRIORITAIRES = "prioritaires", "Ménages prioritaires (critères L441-1, DALO, labels)"
    DELAI_DEPASSE = "delai_depasse", "Demandes en délai anormalement long"
    POULIDOR = "poulidor", "Demandes Poulidor (classées en rang 2 ou plus par une CALEOL, toujours en attente)"


class MotifSortieListe(CodedEnum):
    """Why a household left a list."""

    PLUS_PRIORITAIRE = "plus_prioritaire", "Plus aucun critère de priorité, label ni décision DALO en cours"
    OFFRE_ADAPTEE = "offre_adaptee", "Une offre adaptée a été faite au ménage"
    DELAI_NON_ATTEINT = "delai_non_atteint", "Délai anormalement long non atteint (date de dépôt ou seuil modifiés)"
    ATTRIBUTION = "attribution", "Un logement a été attribué au ménage"
    RADIATION = "radiation", "Demande radiée"
    SUPPRESSION = "suppression", "Demande supprimée"
