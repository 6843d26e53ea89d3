"""The figures of a year N, counted from the projection's rows: pure functions (the test recomputes them on its own).

Definitions (seed § 1.1.3, § 3.2; docs/statistics.md):

* **demande en instance au 31 décembre N-1**: registered on or before that day, and not radiated on that day
  (a radiation later reactivated does not count: the projection keeps the radiation in force);
* **attribution en N-1**: a lease signed in N-1 (without a lease report, the landlord's attribution date);
  its typology is the landlord's report's, its commune the dwelling's;
* **délai moyen d'attribution** (per commune): mean days from filing (``date_depot``, else registration) to moving
  in (``date_entree``, else the lease);
* **délai d'attente théorique** (months): demands pending / attributions of the year × 12;
* **part des mutations**: demands (and attributions) from current social tenants;
* **indicateur CIA**: among attributions with a signed lease outside QPV, the share to first-quartile households;
  the objective is ≥ 25 % (ELAN).

Statistical secrecy (:mod:`plugins.statistics.secret`) applies to attributions: the commune × typology counts, the
annual attribution tables, and every figure computed from a hidden count. Hidden values are ``None``. A cell's
attributions split individuel / collectif (the dwelling's kind, when the landlord reported it) is published only
with its cell and when no part — individuel, collectif, not reported — counts 1 to ``seuil - 1``: the parts add up to
the published cell, so one hidden part alone could be recomputed, and no other table publishes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from plugins.statistics.processor import TYPOLOGIES
from plugins.statistics.secret import TOTAL, column_equation, grid_equations, protect

__all__ = ["Parc", "compute", "DIMENSIONS", "OBJECTIF_CIA"]

OBJECTIF_CIA = 25.0
#: The annual tables' dimensions: (key, French label, categories in order, how a demand row gives its category).
DIMENSIONS: dict[str, tuple[str, tuple[str, ...]]] = {
    "typologie": ("Typologie", TYPOLOGIES + ("non renseignée",)),
    "composition": ("Composition du ménage", ("1 personne", "2 personnes", "3 personnes", "4 personnes",
                                              "5 personnes et plus", "non renseignée")),
    "age": ("Âge du demandeur", ("moins_30", "30_49", "50_64", "65_plus", "non renseigné")),
    "ressources": ("Ressources mensuelles du ménage", ("moins_1000", "1000_1999", "2000_2999", "3000_plus",
                                                       "non renseignées")),
}


@dataclass(frozen=True)
class Parc:
    """One line of the landlords' stock: dwellings of a commune, typology and kind (individuel / collectif)."""

    commune: str
    typologie: str
    habitat: str
    logements: int


def _day(text: str | None) -> date | None:
    return date.fromisoformat(text) if text else None


def _category(dimension: str, row: Mapping[str, Any] | None) -> str:
    labels = DIMENSIONS[dimension][1]
    if row is None:
        return labels[-1]
    if dimension == "typologie":
        return row.get("typologie") or labels[-1]
    if dimension == "composition":
        n = row.get("taille_menage")
        return labels[-1] if not n else labels[min(n, 5) - 1]
    value = row.get("tranche_age" if dimension == "age" else "tranche_ressources")
    return value or labels[-1]


def _pending(demandes: Iterable[Mapping[str, Any]], end: date) -> list[Mapping[str, Any]]:
    out = []
    for d in demandes:
        registered, radiated = _day(d["date_enregistrement"]), _day(d["date_radiation"])
        if registered is not None and registered <= end and (radiated is None or radiated > end):
            out.append(d)
    return out


def _of_year(attributions: Iterable[Mapping[str, Any]], year: int) -> list[Mapping[str, Any]]:
    return [a for a in attributions
            if (when := _day(a["date_bail"]) or _day(a["date_attribution"])) is not None and when.year == year]


def _ratio(num: float | None, den: float | None, scale: float = 1.0, digits: int = 1) -> float | None:
    if num is None or den in (None, 0):
        return None
    return round(num / den * scale, digits)


def _grid(cells: Counter, rows: Sequence[str], cols: Sequence[str]) -> dict[tuple[str, str], int]:
    values = {(r, c): cells.get((r, c), 0) for r in rows for c in cols}
    for r in rows:
        values[(r, TOTAL)] = sum(values[(r, c)] for c in cols)
    for c in [*cols, TOTAL]:
        values[(TOTAL, c)] = sum(values[(r, c)] for r in rows)
    return values


def compute(year: int, demandes: Sequence[Mapping[str, Any]], attributions: Sequence[Mapping[str, Any]],
            parc: Sequence[Parc], seuil: int) -> dict[str, Any]:
    """Every figure of year N as plain data (JSON-ready); see the module docstring for the definitions."""
    end = date(year - 1, 12, 31)
    pending = _pending(demandes, end)
    attributed = _of_year(attributions, year - 1)
    by_nu = {d["numero_unique"]: d for d in demandes}

    communes = sorted({d["commune"] for d in pending if d["commune"]} | {a["commune"] for a in attributed}
                      | {p.commune for p in parc})
    unknown = DIMENSIONS["typologie"][1][-1]
    typologies = list(TYPOLOGIES) + ([unknown] if any(not r["typologie"] for r in [*pending, *attributed]) else [])
    pending_cells = Counter((d["commune"], d["typologie"] or unknown) for d in pending)
    habitat_cells = Counter((d["commune"], d["typologie"] or unknown, d["habitat"]) for d in pending)
    attributed_cells = Counter((a["commune"], a["typologie"] or unknown) for a in attributed)
    attributed_kind = Counter((a["commune"], a["typologie"] or unknown, a.get("habitat")) for a in attributed)
    stock = Counter()
    stock_kind = Counter()
    for p in parc:
        stock[(p.commune, p.typologie)] += p.logements
        stock_kind[(p.commune, p.typologie, p.habitat)] += p.logements

    grid = _grid(attributed_cells, communes, typologies)
    hidden = protect(grid, grid_equations(communes, typologies), seuil)

    def shown(key: tuple[str, str]) -> int | None:
        return None if key in hidden else grid[key]

    def split(key: tuple[str, str], total: int | None) -> tuple[int | None, int | None]:
        individual = attributed_kind.get((*key, "individuel"), 0)
        collective = attributed_kind.get((*key, "collectif"), 0)
        parts = (individual, collective, (total or 0) - individual - collective)
        if total is None or any(0 < n < seuil for n in parts):
            return None, None
        return individual, collective

    cells = []
    for commune in communes:
        for typ in typologies:
            n_pending = pending_cells.get((commune, typ), 0)
            n_attr = shown((commune, typ))
            n_individual, n_collective = split((commune, typ), n_attr)
            cells.append({
                "commune": commune, "typologie": typ, "logements": stock.get((commune, typ), 0),
                "logements_individuels": stock_kind.get((commune, typ, "individuel"), 0),
                "logements_collectifs": stock_kind.get((commune, typ, "collectif"), 0),
                "demandes_en_instance": n_pending,
                "demandes_individuel": habitat_cells.get((commune, typ, "individuel"), 0),
                "demandes_collectif": habitat_cells.get((commune, typ, "collectif"), 0),
                "demandes_indifferent": habitat_cells.get((commune, typ, "indifferent"), 0),
                "attributions": n_attr,
                "attributions_individuel": n_individual, "attributions_collectif": n_collective,
                "delai_attente_theorique_mois": _ratio(n_pending, n_attr, 12),
            })

    per_commune = []
    for commune in communes:
        mine = [a for a in attributed if a["commune"] == commune]
        total_attr = shown((commune, TOTAL))
        delays = []
        for a in mine:
            demand = by_nu.get(a["numero_unique"])
            start = demand and (_day(demand["date_depot"]) or _day(demand["date_enregistrement"]))
            stop = _day(a["date_entree"]) or _day(a["date_bail"])
            if start and stop:
                delays.append((stop - start).days)
        commune_pending = [d for d in pending if d["commune"] == commune]
        mutations_attr = sum(1 for a in mine if (by_nu.get(a["numero_unique"]) or {}).get("mutation"))
        per_commune.append({
            "commune": commune, "demandes_en_instance": len(commune_pending), "attributions": total_attr,
            "delai_moyen_attribution_jours": (round(sum(delays) / len(delays)) if delays and total_attr
                                              is not None else None),
            "delai_attente_theorique_mois": _ratio(len(commune_pending), total_attr, 12),
            "part_mutations_demandes_pct": _ratio(sum(1 for d in commune_pending if d["mutation"]),
                                                  len(commune_pending), 100),
            "part_mutations_attributions_pct": (None if total_attr is None or 0 < mutations_attr < seuil
                                                else _ratio(mutations_attr, len(mine), 100)),
        })

    leased_outside_qpv = [a for a in attributed if a["date_bail"] and a["hors_qpv"]]
    first_quartile = sum(1 for a in leased_outside_qpv if a["premier_quartile"])
    cia_hidden = 0 < first_quartile < seuil or 0 < len(leased_outside_qpv) - first_quartile < seuil
    share = None if cia_hidden else _ratio(first_quartile, len(leased_outside_qpv), 100)
    cia = {"attributions_hors_qpv_avec_bail": len(leased_outside_qpv),
           "dont_premier_quartile": None if cia_hidden else first_quartile, "part_pct": share,
           "objectif_pct": OBJECTIF_CIA, "objectif_atteint": None if share is None else share >= OBJECTIF_CIA}

    annual: dict[str, Any] = {}
    for dimension, (label, categories) in DIMENSIONS.items():
        table = {}
        for what, rows in (("demandes", pending), ("attributions", attributed)):
            counts = Counter(_category(dimension, r if what == "demandes" else
                                       (by_nu.get(r["numero_unique"]) if dimension != "typologie" else r))
                             for r in rows)
            values = {c: counts.get(c, 0) for c in categories} | {TOTAL: len(rows)}
            if what == "demandes":      # pending demands are published as they are (seed § 3.2: attributions only)
                table[what] = values
                continue
            primary = {c for c, v in values.items() if 0 < v < seuil} | (
                {TOTAL} if (TOTAL, TOTAL) in hidden else set())    # the grid's total, hidden there, stays hidden
            secret = protect(values, column_equation(categories), seuil, primary=primary)
            table[what] = {c: (None if c in secret else v) for c, v in values.items()}
        if dimension == "typologie":
            # the grid's column totals: published once, with the grid's secrecy (two tables of the same counts
            # protected apart could give each other's hidden cells away)
            table["attributions"] = {c: (shown((TOTAL, c)) if (TOTAL, c) in grid else 0) for c in categories} | {
                TOTAL: shown((TOTAL, TOTAL))}
        annual[dimension] = {"libelle": label, **table}

    return {
        "annee": year, "au": end.isoformat(), "attributions_annee": year - 1, "secret_seuil": seuil,
        "territoire": {"logements": sum(p.logements for p in parc), "demandes_en_instance": len(pending),
                       "attributions": shown((TOTAL, TOTAL)),
                       "delai_attente_theorique_mois": _ratio(len(pending), shown((TOTAL, TOTAL)), 12),
                       "part_mutations_demandes_pct": _ratio(sum(1 for d in pending if d["mutation"]),
                                                             len(pending), 100)},
        "cia": cia,
        "par_commune_typologie": cells,
        "par_commune": per_commune,
        "tableaux_annuels": annual,
    }
