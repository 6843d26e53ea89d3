"""A score as a registration desk reads it to an applicant, in French: the total, the grid and the date, then the
criteria block by block, the coefficient, the seniority and the refusals.

Why plain text: the desk reads it aloud or prints it beside the attestation; the law asks that the applicant can
understand how their score was reached, criterion by criterion. ``relais cotation explain NUMERO_UNIQUE`` prints
this once the engine is wired to the journal.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from contracts.enums import CategorieCritere, CritereCotation
from contracts.events.cotation import CotationCalculee
from plugins.cotation.engine import HUNDREDTH, Cotation, LigneCalcul
from plugins.cotation.french import date_longue, nombre
from plugins.cotation.grid import Grid

__all__ = ["explain", "points", "cotation_from_event"]


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
    out.extend(_row(line, "  ") for line in cotation.lignes if line.kind not in ("points", "zero_weight"))
    out.append(f"  Total : {points(cotation.total)}")
    return "\n".join(out)


def cotation_from_event(event: CotationCalculee, grids: Iterable[Grid]) -> Cotation:
    """The breakdown back from a journaled ``cotation_calculee``, for ``relais cotation explain``.

    Why the grids: the event carries the grid's reference but neither the territory's name nor each line's block
    and kind, which the desk's rendering needs; they are read from the grid version the event names. Points come
    back in hundredths (the event holds floats)."""
    grid = next((g for g in grids if g.reference == event.grille_version), None)
    if grid is None:
        raise LookupError(f"grid {event.grille_version!r} is not loaded: cannot explain this score")
    by_id = {c.id: c for c in grid.criteria}
    by_label = {c.label: c for c in grid.criteria}
    lines = []
    for ligne in event.lignes:
        criterion = (by_label.get(ligne.libelle or "") if ligne.critere is CritereCotation.CRITERE_LOCAL
                     else by_id.get(ligne.critere.value))
        if criterion is None:
            raise LookupError(f"criterion {ligne.libelle or ligne.critere.value!r} is not in grid {grid.reference}")
        value = _hundredths(ligne.points)
        lines.append(LigneCalcul(
            critere=criterion.id, categorie=criterion.category, kind=criterion.kind, libelle=criterion.label,
            declencheur=str(ligne.valeur if ligne.valeur is not None else ""),
            ponderation=None if ligne.ponderation is None else Decimal(str(ligne.ponderation)), points=value,
            retenu=not (value == 0 and "non retenu" in str(ligne.valeur))))
    return Cotation(total=sum((line.points for line in lines), Decimal(0)), lignes=tuple(lines),
                    territoire=grid.territory, version=grid.version, grille_version=grid.reference,
                    date_calcul=event.date_calcul)


def _hundredths(value: float) -> Decimal:
    return Decimal(str(value)).quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
