"""The shared device's lists (PPGID §3.2): liste_entree, liste_sortie.

Why events and not only exports: a landlord's CALEOL software keeps its own filter ("demandes Poulidor", priority
households, délai dépassé) in step by subscribing to these, like to any other event. An event carries the list, the
date and the reasons (entry) or the motif (exit); the household's wished communes ride along so that a réservataire
receives the changes of its communes only (the access policy reads :meth:`communes`).

Entry reasons are short codes, stable across versions:
``dalo`` (COMED prioritaire et urgent, or declared); ``label:<nature>`` (a priority label, ``NatureLabel`` code);
``l441_1:<critere>`` (a CCH L441-1 criterion declared on the demand, ``CriterePrioriteL441`` code);
``delai:<N>_mois`` (open for more than the N-month threshold without a suitable offer);
``rang:<N>:<rpls>`` (ranked N by a CALEOL on a dwelling that went to another household).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, ClassVar

from pydantic import Field

from contracts.enums import Contingent, ListeGestionPartagee, MotifSortieListe
from contracts.events.common import SurDemande
from contracts.identifiers import CodeInsee
from contracts.registry import register_event

__all__ = ["ListeEntree", "ListeSortie", "MotifEntree"]

MotifEntree = Annotated[str, Field(pattern=r"^[a-z0-9_]+(:[A-Za-z0-9_.-]+)*$", max_length=80)]


@register_event
class ListeEntree(SurDemande):
    """The household entered one of the shared device's lists."""

    event_type: ClassVar[str] = "liste_entree.v1"

    liste: ListeGestionPartagee
    date_entree: date
    motifs: tuple[MotifEntree, ...] = Field(min_length=1, max_length=50,
                                            description="Why it entered (codes in the module's documentation).")
    contingents: tuple[Contingent, ...] = Field(
        default=(), description="Priority list: the contingents the household is eligible to.")
    communes_souhaitees: tuple[CodeInsee, ...] = Field(default=(), max_length=200)

    def communes(self) -> frozenset[str]:
        return frozenset(self.communes_souhaitees)


@register_event
class ListeSortie(SurDemande):
    """The household left one of the shared device's lists."""

    event_type: ClassVar[str] = "liste_sortie.v1"

    liste: ListeGestionPartagee
    date_sortie: date
    motif: MotifSortieListe
    communes_souhaitees: tuple[CodeInsee, ...] = Field(default=(), max_length=200)

    def communes(self) -> frozenset[str]:
        return frozenset(self.communes_souhaitees)
