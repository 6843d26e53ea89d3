"""Statistical secrecy of the published tables: primary suppression under a threshold, then secondary suppression
until no hidden cell can be recomputed from what is published.

The rule (documented in ``docs/statistics.md``):

1. **Primary**: a count of attributions (or of households in an annual table) from 1 to ``seuil - 1`` is hidden
   (default ``seuil`` = 5, setting ``[connectors.statistiques] secret_seuil``). A zero is published: it describes
   nobody.
2. **Secondary**: a table is published with its totals (per line, per column, overall); each total is an equation
   between cells. A hidden cell is *recomputable* when the published cells and those equations determine its value
   exactly — the classic case is a line with a single hidden cell (total minus the others). While some hidden cell
   is recomputable, a published cell sharing an equation with one is hidden too: the one that leaves the fewest
   recomputable cells, then the smallest non-zero one (a zero or a total last). Recomputability is decided
   exactly, by linear algebra over the rationals: a hidden cell is determined iff its unit vector lies in the row
   space of the equations restricted to the hidden cells.

Intervals are not protected (a hidden cell is known to lie between 0 and its line's total): at this scale —
communes of one EPCI, counts per year — that is the practice of the annual reports the seed describes.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction

__all__ = ["protect", "grid_equations", "column_equation", "TOTAL", "recomputable"]

TOTAL = "Total"

Equation = Sequence[tuple[Hashable, int]]


def grid_equations(rows: Sequence[Hashable], cols: Sequence[Hashable]) -> list[Equation]:
    """The equations of a two-way table published with line totals, column totals and the overall total: cells
    are keyed ``(row, col)``, totals with :data:`TOTAL` in place of the row or column."""
    equations: list[Equation] = []
    for r in [*rows, TOTAL]:
        equations.append([((r, c), 1) for c in cols] + [((r, TOTAL), -1)])
    for c in [*cols, TOTAL]:
        equations.append([((r, c), 1) for r in rows] + [((TOTAL, c), -1)])
    return equations


def column_equation(rows: Sequence[Hashable]) -> list[Equation]:
    """The equation of a one-way table published with its total (keys: the rows, and :data:`TOTAL`)."""
    return [[(r, 1) for r in rows] + [(TOTAL, -1)]]


def _rank(rows: list[list[Fraction]]) -> int:
    """Rank by exact Gaussian elimination: the matrices are small (a commune's typologies) and exact arithmetic
    leaves no tolerance to argue about."""
    rows = [r[:] for r in rows if any(r)]
    rank, width = 0, len(rows[0]) if rows else 0
    for col in range(width):
        pivot = next((i for i in range(rank, len(rows)) if rows[i][col] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][col] != 0:
                factor = rows[i][col] / rows[rank][col]
                rows[i] = [a - factor * b for a, b in zip(rows[i], rows[rank])]
        rank += 1
    return rank


def recomputable(hidden: set[Hashable], equations: Sequence[Equation]) -> list[Hashable]:
    """The hidden cells whose value the published cells and the equations determine exactly."""
    order = sorted(hidden, key=str)
    if not order:
        return []
    matrix = [[Fraction(sum(c for k, c in eq if k == key)) for key in order] for eq in equations
              if any(k in hidden for k, _ in eq)]
    rank = _rank(matrix)
    found = []
    for i, key in enumerate(order):
        unit = [Fraction(int(j == i)) for j in range(len(order))]
        if _rank(matrix + [unit]) == rank:
            found.append(key)
    return found


def protect(values: Mapping[Hashable, int], equations: Sequence[Equation], seuil: int,
            primary: set[Hashable] | None = None) -> set[Hashable]:
    """The cells to hide: the primary ones (``0 < value < seuil``, or ``primary`` when given), then secondary ones
    until no hidden cell is recomputable. Deterministic: the same table hides the same cells."""
    hidden = set(primary) if primary is not None else {k for k, v in values.items() if 0 < v < seuil}
    totals = {k for k in values if k == TOTAL or (isinstance(k, tuple) and TOTAL in k)}
    while True:
        exposed = recomputable(hidden, equations)
        if not exposed:
            return hidden
        partners = {k for eq in equations if any(k in exposed for k, _ in eq) for k, _ in eq} - hidden
        if not partners:     # cannot happen with consistent equations; refuse to publish rather than leak
            raise ValueError(f"secret statistique: no cell left to protect {exposed[0]!r}")
        # the partner that leaves the fewest recomputable cells (closing a cycle of hidden cells), then the smallest
        hidden.add(min(partners, key=lambda k: (len(recomputable(hidden | {k}, equations)), k in totals,
                                                values[k] == 0, values[k], str(k))))
