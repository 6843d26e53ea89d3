"""A score as a registration desk reads it to an applicant, in French: the total, the grid and the date, then the
criteria block by block, the coefficient, the seniority and the refusals.

Why plain text: the desk reads it aloud or prints it beside the attestation; the law asks that the applicant can
understand how their score was reached, criterion by criterion. ``relais cotation explain NUMERO_UNIQUE`` prints
this once the engine is wired to the journal.
"""

from __future__ import annotations

from decimal import Decimal

from contracts.enums import CategorieCritere
from plugins.cotation.engine import Cotation, LigneCalcul
from plugins.cotation.french import date_longue, nombre

__all__ = ["explain", "points"]


def points(value: Decimal, signed: bool = False) -> str:
    """"1 point", "0 point", "1,5 point", "47,2 points": French takes the plural from 2 on."""
    return f"{nombre(value, signed)} point{'s' if abs(value) >= 2 else ''}"


def _weight(line: LigneCalcul) -> str:
    if line.ponderation is None:
        return ""
    if line.kind == "coefficient":
        return f" ({nombre(line.ponderation * 100)} %)"
    if line.kind == "per_month":
        return f" ({nombre(line.ponderation)} par mois)"
    if line.kind == "per_occurrence":
        return f" ({nombre(line.ponderation)} par occurrence)"
    return ""


def _row(line: LigneCalcul, indent: str) -> str:
    return f"{indent}{line.libelle}{_weight(line)} : {points(line.points, signed=True)} — {line.declencheur}"


def explain(cotation: Cotation, numero_unique: str) -> str:
    """The breakdown, one line per criterion; it ends with the total again so that a printed page is checkable."""
    out = [f"Cotation de la demande {numero_unique}: {points(cotation.total)} (grille {cotation.territoire} "
           f"{cotation.version}, calculée le {date_longue(cotation.date_calcul)})"]
    fixed = [line for line in cotation.lignes if line.kind in ("points", "zero_weight")]
    for category in CategorieCritere:
        block = [line for line in fixed if line.categorie is category]
        if block:
            out.append(f"  {category.label}")
            out.extend(_row(line, "    ") for line in block)
    if not fixed:
        out.append("  Aucun critère de situation ne s'applique.")
    labels = {"coefficient": "Coefficient", "per_month": "Ancienneté", "per_occurrence": "Points négatifs"}
    for line in cotation.lignes:
        if line.kind in labels:
            out.append(f"  {labels[line.kind]} — {_row(line, '')}")
    out.append(f"  Total : {points(cotation.total)}")
    return "\n".join(out)
