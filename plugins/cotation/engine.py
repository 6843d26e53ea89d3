"""The cotation engine: a demand's facts × a grid, on a date → a score and its breakdown.

How a score is made (the order matters, and is the grid's own writing):
1. every fixed criterion whose ``when`` holds gives its points (a zero-weight row gives a 0-point line); in a block
   whose rule is ``max``, only the best-weighted line counts (the first row on a tie), the others are shown with
   0 point and marked "non retenu";
2. seniority: points per complete month since filing (:func:`complete_months`);
3. refusals, visits without follow-up, unanswered offers: points per occurrence (negative);
4. the coefficient (first quartile): it adds ``(coefficient - 1) × the points of the blocks it applies to``.

Rounding: every weight is read as an exact ``Decimal`` from the TOML text; each line's points are rounded once, to
the hundredth, half up (only the coefficient can produce more decimals); the score is the sum of the rounded
lines. So the lines always sum exactly to the score, and the same facts, grid and date always give the same score.
"""

from __future__ import annotations

import calendar
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.enums import CategorieCritere, CritereCotation
from contracts.events.cotation import CotationCalculee, LigneCotation
from plugins.cotation.facts import FaitsCotation, age
from plugins.cotation.french import date_courte, nombre
from plugins.cotation.grid import Criterion, Grid, Kind, Trigger

__all__ = ["Cotation", "LigneCalcul", "score", "complete_months", "HUNDREDTH"]

HUNDREDTH = Decimal("0.01")

_FACTS = {"prioritaire_dalo": "reconnu prioritaire et urgent DALO", "chomage_longue_duree":
          "chômage de longue durée déclaré", "handicap": "situation de handicap déclarée",
          "travailleur_cle": "travailleur clé", "premier_quartile": "ressources du premier quartile"}


class LigneCalcul(BaseModel):
    """One criterion's contribution: what applied, why (a short non-nominative description), how many points."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    critere: str = Field(description="The grid's criterion id.")
    categorie: CategorieCritere
    kind: Kind
    libelle: str = Field(description="French label of the criterion.")
    declencheur: str = Field(description="The data that triggered it, e.g. 'motif : logement trop petit'.")
    ponderation: Decimal | None = Field(description="The grid's weight: points, coefficient, points per unit.")
    points: Decimal
    retenu: bool = Field(default=True, description="False when a better line of the same block was kept.")


class Cotation(BaseModel):
    """A demand's score under one grid version on one date; the lines sum exactly to ``total``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    total: Decimal
    lignes: tuple[LigneCalcul, ...]
    territoire: str
    version: str
    grille_version: str = Field(description="Grid id and version, as cotation_calculee carries it.")
    date_calcul: date

    @model_validator(mode="after")
    def _sums(self) -> "Cotation":
        if sum((line.points for line in self.lignes), Decimal(0)) != self.total:
            raise ValueError("total: not the sum of the lines")
        return self

    def to_event(self, numero_unique: str) -> CotationCalculee:
        """The ``cotation_calculee`` payload. Its points are floats: the exact values are this model's."""
        return CotationCalculee(
            numero_unique=numero_unique, score=float(self.total), grille_version=self.grille_version,
            date_calcul=self.date_calcul, lignes=tuple(_to_ligne(line) for line in self.lignes))


def _to_ligne(line: LigneCalcul) -> LigneCotation:
    critere = CritereCotation.__members__.get(line.critere.upper(), CritereCotation.CRITERE_LOCAL)
    valeur = line.declencheur if len(line.declencheur) <= 200 else line.declencheur[:199] + "…"
    return LigneCotation(
        critere=critere, libelle=line.libelle if critere is CritereCotation.CRITERE_LOCAL else None, valeur=valeur,
        ponderation=float(line.ponderation) if line.ponderation is not None else None, points=float(line.points))


def complete_months(start: date, end: date) -> int:
    """Complete months from ``start`` to ``end``: a month is complete on the same day of a later month, or on that
    month's last day when it has no such day (filed 31 January: 1 month on 28 February, 2 on 31 March)."""
    if end <= start:
        return 0
    months = (end.year - start.year) * 12 + end.month - start.month
    anniversary = min(start.day, calendar.monthrange(end.year, end.month)[1])
    return months - (end.day < anniversary)


def _rounded(value: Decimal) -> Decimal:
    return value.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)


def _lower_first(text: str) -> str:
    """"Logé(e) à l'hôtel" → "logé(e) à l'hôtel", but "CDI" stays."""
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _match(when: Trigger, facts: FaitsCotation, on: date) -> list[str] | None:
    """The descriptions of what matched, or None when a condition fails."""
    said: list[str] = []
    if when.housing:
        if facts.situation_logement not in when.housing:
            return None
        said.append(f"logement actuel : {_lower_first(facts.situation_logement.label)}")
    for values, declared, heading in ((when.reasons, facts.motifs, "motif"),
                                      (when.statuses, facts.statuts, "situation professionnelle"),
                                      (when.sectors, facts.secteurs, "secteur")):
        if values:
            found = [v for v in values if v in declared]
            if not found:
                return None
            said.append(f"{heading} : " + ", ".join(_lower_first(v.label) for v in found))
    if when.fact is not None:
        if not facts.fait(when.fact):
            return None
        said.append(_FACTS[when.fact])
    if when.minor is not None:
        minors = facts.mineurs(on)
        if (minors > 0) is not when.minor:
            return None
        said.append(f"{minors} mineur(s) au foyer" if minors else "aucun mineur au foyer")
    for limit, under in ((when.age_under, True), (when.age_at_least, False)):
        if limit is not None:
            if facts.naissance_demandeur is None:
                return None
            years = age(facts.naissance_demandeur, on)
            if years < 0 or (years < limit) is not under:   # born after the computation day: no age yet
                return None
            said.append(f"âge du demandeur : {years} ans")
    return said


def _fixed_lines(facts: FaitsCotation, grid: Grid, on: date) -> list[LigneCalcul]:
    lines: list[LigneCalcul] = []
    for criterion in grid.criteria:
        if criterion.kind not in ("points", "zero_weight"):
            continue
        said = _match(criterion.when, facts, on)
        if said is None:
            continue
        weight = criterion.points if criterion.kind == "points" else Decimal(0)
        description = " ; ".join(said) + ("" if criterion.kind == "points" else " (critère sans pondération)")
        lines.append(_line(criterion, description, weight, weight))
    for category in CategorieCritere:
        if grid.combine_rule(category) == "max":
            lines = _keep_best(lines, category)
    return lines


def _keep_best(lines: list[LigneCalcul], category: CategorieCritere) -> list[LigneCalcul]:
    """In a ``max`` block, the best line keeps its points (the first on a tie); the others show 0, 'non retenu'."""
    block = [line for line in lines if line.categorie is category]
    if len(block) < 2:
        return lines
    best = max(block, key=lambda line: line.points)   # max() returns the first of equal maxima
    return [line if line is best or line.categorie is not category else line.model_copy(update={
        "points": Decimal(0), "retenu": False,
        "declencheur": f"{line.declencheur} ; non retenu : seul le critère le mieux pondéré du bloc compte"})
        for line in lines]


def _line(criterion: Criterion, description: str, weight: Decimal | None, points: Decimal) -> LigneCalcul:
    return LigneCalcul(critere=criterion.id, categorie=criterion.category, kind=criterion.kind,
                       libelle=criterion.label, declencheur=description, ponderation=weight,
                       points=_rounded(points))


def _seniority(criterion: Criterion, facts: FaitsCotation, on: date) -> LigneCalcul:
    if facts.date_depot is None:
        months, description = 0, "date de dépôt inconnue"
    else:
        months = complete_months(facts.date_depot, on)
        description = f"{months} mois complet(s) depuis le dépôt du {date_courte(facts.date_depot)}"
    return _line(criterion, description, criterion.points_per_month, criterion.points_per_month * months)


def _negatives(criterion: Criterion, facts: FaitsCotation) -> LigneCalcul | None:
    count = facts.occurrences_negatives
    if count == 0:
        return None
    parts = [f"{n} {word}" for n, word in ((facts.refus, "refus"), (facts.visites_sans_suite, "visite(s) sans suite"),
                                           (facts.non_reponses, "non-réponse(s)")) if n]
    return _line(criterion, ", ".join(parts) + " à une offre adaptée", criterion.points_per_occurrence,
                 criterion.points_per_occurrence * count)


def _coefficient(criterion: Criterion, facts: FaitsCotation, on: date,
                 lines: list[LigneCalcul]) -> LigneCalcul | None:
    said = _match(criterion.when, facts, on)
    if said is None:
        return None
    targets = set(criterion.applies_to)
    # a category stands for its fixed criteria only; seniority or refusals are counted when named by their id
    base = sum((line.points for line in lines if line.critere in targets
                or (line.kind in ("points", "zero_weight") and line.categorie.value in targets)), Decimal(0))
    description = (f"{' ; '.join(said)} : {nombre(criterion.coefficient * 100)} % de {nombre(base)} point(s) "
                   f"({_targets(criterion.applies_to)}), soit {nombre(base * (criterion.coefficient - 1))} "
                   "de plus")
    return _line(criterion, description, criterion.coefficient, base * (criterion.coefficient - 1))


def _targets(applies_to: tuple[str, ...]) -> str:
    """"logement actuel, situation personnelle, motif de la demande": the coefficient's base, in words."""
    labels = CategorieCritere.labels()
    return ", ".join(_lower_first(labels[t]) if t in labels else t for t in applies_to)


def score(facts: FaitsCotation, grid: Grid, on: date) -> Cotation:
    """Score a demand's facts under ``grid`` on ``on`` (the computation day: seniority and ages are counted to it).

    Why ``on`` is required: a score must be reproducible (an applicant's appeal, an audit), so nothing here reads
    the clock."""
    lines = _fixed_lines(facts, grid, on)
    for criterion in grid.criteria:
        if criterion.kind == "per_month":
            lines.append(_seniority(criterion, facts, on))
        elif criterion.kind == "per_occurrence" and (line := _negatives(criterion, facts)) is not None:
            lines.append(line)
    for criterion in grid.criteria:
        if criterion.kind == "coefficient" and (line := _coefficient(criterion, facts, on, lines)) is not None:
            lines.append(line)
    lines = _ordered(lines)
    return Cotation(total=sum((line.points for line in lines), Decimal(0)), lignes=tuple(lines),
                    territoire=grid.territory, version=grid.version, grille_version=grid.reference, date_calcul=on)


def _ordered(lines: list[LigneCalcul]) -> list[LigneCalcul]:
    """Fixed criteria in the grid's order, then the coefficient, seniority and refusals, as a desk reads them."""
    rank = {"points": 0, "zero_weight": 0, "coefficient": 1, "per_month": 2, "per_occurrence": 3}
    return sorted(lines, key=lambda line: rank[line.kind])   # sorted() is stable: the grid's order is kept
