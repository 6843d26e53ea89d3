"""A territory's cotation grid: the TOML file's model, its loading and validation, and the choice of the version
in effect at a date.

Why a file and not code: the grid is adopted by each EPCI in its PPGID and amended by vote; the people who keep it
up to date are not programmers. So a grid is a versioned TOML file with an effective date, and every mistake in it
is reported with the file, the line, the criterion and what to write instead
(``thiers.toml line 42, criterion 'sans_abri': points must be a number, got "dix"``).

``tomllib`` gives values without their line: :mod:`plugins.cotation.toml_lines` finds the line from the raw text.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from contracts.enums import (
    CategorieCritere, CritereCotation, MotifDemande, SecteurEmploi, SituationLogementActuel, StatutProfessionnel,
)
from contracts.scalars import VersionGrille
from plugins.cotation.toml_lines import locate

__all__ = ["Grid", "Criterion", "Trigger", "GridError", "GridProblem", "Fact", "Kind", "load_grid", "load_grids",
           "grid_in_effect", "NoGridInEffect", "default_grid", "GRIDS_DIR", "DEFAULT_GRID"]

#: The grids shipped with Relais; Thiers Dore et Montagne's is the example and the default.
GRIDS_DIR = Path(__file__).resolve().parent / "grids"
DEFAULT_GRID = GRIDS_DIR / "thiers_dore_montagne.toml"

Kind = Literal["points", "zero_weight", "coefficient", "per_month", "per_occurrence"]
#: Yes/no facts of a demand a criterion may require (see :class:`plugins.cotation.facts.FaitsCotation`).
Fact = Literal["prioritaire_dalo", "chomage_longue_duree", "handicap", "travailleur_cle", "premier_quartile"]


@dataclass(frozen=True)
class GridProblem:
    """One mistake in a grid file, located."""

    file: str
    line: int | None
    criterion: str | None
    message: str

    def __str__(self) -> str:
        where = self.file + (f" line {self.line}" if self.line else "")
        if self.criterion:
            where += f", criterion {self.criterion!r}"
        return f"{where}: {self.message}"


class GridError(ValueError):
    """A grid file is not valid: every problem found, one per line of the message, each with its file, line,
    criterion and fix. Raised at load, before any score is computed: a configuration error, for whoever edits the
    grid (not a delivery error: it never reaches the bus). ``line``, ``criterion`` and ``message`` are the first
    problem's."""

    def __init__(self, problems: list[GridProblem]) -> None:
        self.problems = tuple(problems)
        first = self.problems[0]
        self.file, self.line, self.criterion, self.message = first.file, first.line, first.criterion, first.message
        super().__init__("\n".join(str(p) for p in self.problems))


def _number(value: Any) -> Any:
    """Reject text and booleans before pydantic would read "10" as a number: a quoted weight is a typo to fix."""
    if isinstance(value, (str, bool)):
        raise ValueError(f"must be a number, got {json.dumps(value, ensure_ascii=False)}")
    return value


Number = Annotated[Decimal, BeforeValidator(_number), Field(allow_inf_nan=False)]


def _by_name(enum: type[Enum]) -> BeforeValidator:
    """Read an enum member from its lower-case name ("hotel", "violences_familiales"): codes like "HOT" or "06"
    are the SNE's, unreadable for whoever edits a grid."""
    def convert(value: Any) -> Any:
        if isinstance(value, str) and value.upper() in enum.__members__:
            return enum.__members__[value.upper()]
        names = ", ".join(name.lower() for name in enum.__members__)
        raise ValueError(f"must be one of {names}; got {json.dumps(value, ensure_ascii=False)}")
    return BeforeValidator(convert)


_Strict = ConfigDict(extra="forbid", frozen=True)


class Trigger(BaseModel):
    """What a demand must declare for a criterion to apply: every key given must hold; a list holds when any of
    its values is declared."""

    model_config = _Strict

    housing: tuple[Annotated[SituationLogementActuel, _by_name(SituationLogementActuel)], ...] = ()
    reasons: tuple[Annotated[MotifDemande, _by_name(MotifDemande)], ...] = ()
    statuses: tuple[Annotated[StatutProfessionnel, _by_name(StatutProfessionnel)], ...] = ()
    sectors: tuple[Annotated[SecteurEmploi, _by_name(SecteurEmploi)], ...] = ()
    fact: Fact | None = None
    minor: bool | None = None
    age_under: int | None = Field(default=None, ge=1, le=130)
    age_at_least: int | None = Field(default=None, ge=1, le=130)

    @model_validator(mode="after")
    def _not_empty(self) -> "Trigger":
        if not self.model_fields_set:
            raise ValueError("when is empty: give at least one condition (housing, reasons, fact…)")
        return self


class Criterion(BaseModel):
    """One row of the grid."""

    model_config = _Strict

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=60)
    category: CategorieCritere
    label: str = Field(min_length=1, max_length=200, description="French label, as the desk reads it.")
    seed_wording: str | None = Field(default=None, description="The row's wording in the adopted document.")
    kind: Kind
    points: Number | None = None
    coefficient: Number | None = Field(default=None, gt=0)
    applies_to: tuple[str, ...] = ()
    points_per_month: Number | None = None
    points_per_occurrence: Number | None = None
    when: Trigger | None = None

    @model_validator(mode="after")
    def _fields_of_its_kind(self) -> "Criterion":
        needed = {"points": {"points", "when"}, "zero_weight": {"when"},
                  "coefficient": {"coefficient", "applies_to", "when"}, "per_month": {"points_per_month"},
                  "per_occurrence": {"points_per_occurrence"}}[self.kind]
        optional = {"points", "coefficient", "applies_to", "points_per_month", "points_per_occurrence", "when"}
        for name in sorted(needed - self.model_fields_set):
            raise ValueError(f"{name} is missing: a {self.kind!r} criterion needs `{name} = …`")
        for name in sorted((self.model_fields_set & optional) - needed):
            raise ValueError(f"{name} does not apply to a {self.kind!r} criterion: remove it")
        known = CritereCotation.__members__.get(self.id.upper())
        if known is not None and known.categorie is not self.category:
            raise ValueError(f"category: {self.id!r} belongs to {known.categorie.value!r}, not "
                             f"{self.category.value!r}")
        return self

    @property
    def critere(self) -> CritereCotation:
        """The contracts' criterion; a territory's own criterion is ``critere_local``, named by its label."""
        return CritereCotation.__members__.get(self.id.upper(), CritereCotation.CRITERE_LOCAL)


Combine = Literal["sum", "max"]


class Grid(BaseModel):
    """A territory's grid in one version."""

    model_config = _Strict

    territory: str = Field(min_length=1, max_length=100, description="Territory's name, as people read it.")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)
    version: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,8}$")
    effective_from: date
    combine: dict[CategorieCritere, Combine] = Field(default_factory=dict)
    criterion: tuple[Criterion, ...] = Field(min_length=1)

    @property
    def reference(self) -> VersionGrille:
        """What ``cotation_calculee.grille_version`` carries: the grid and its version, unique across territories."""
        return f"{self.id}.{self.version}"

    @property
    def criteria(self) -> tuple[Criterion, ...]:
        return self.criterion

    def combine_rule(self, category: CategorieCritere) -> Combine:
        """How a block's criteria combine; summing is the default (each criterion at most once)."""
        return self.combine.get(category, "sum")


def _check_whole(grid: Grid) -> list[tuple[int, str, str]]:
    """Rules across rows: (row index, field, message) for each violation."""
    problems: list[tuple[int, str, str]] = []
    seen: dict[str, int] = {}
    for index, criterion in enumerate(grid.criterion):
        if criterion.id in seen:
            problems.append((index, "id", f"duplicate criterion: already defined at row {seen[criterion.id] + 1} "
                                          "of the grid; keep one of them"))
        seen.setdefault(criterion.id, index)
    targets = {c.value for c in CategorieCritere} | {c.id for c in grid.criterion if c.kind != "coefficient"}
    coefficients = [i for i, c in enumerate(grid.criterion) if c.kind == "coefficient"]
    for index in coefficients[1:]:
        problems.append((index, "kind", "a grid has at most one coefficient criterion; merge them"))
    for index in coefficients:
        for target in grid.criterion[index].applies_to:
            if target not in targets:
                problems.append((index, "applies_to", f"{target!r} is neither a category nor a criterion of this "
                                                      "grid"))
    for kind in ("per_month", "per_occurrence"):
        for index in [i for i, c in enumerate(grid.criterion) if c.kind == kind][1:]:
            problems.append((index, "kind", f"a grid has at most one {kind!r} criterion"))
    return problems


_EXPECTED = {"decimal_parsing": "a number", "decimal_type": "a number", "int_parsing": "a whole number",
             "int_type": "a whole number", "int_from_float": "a whole number", "bool_type": "true or false",
             "bool_parsing": "true or false", "date_type": "a date (YYYY-MM-DD, unquoted)",
             "date_parsing": "a date (YYYY-MM-DD, unquoted)",
             "date_from_datetime_parsing": "a date (YYYY-MM-DD, unquoted)",
             "date_from_datetime_inexact": "a date (YYYY-MM-DD, unquoted)", "string_type": "a quoted text",
             "tuple_type": "a list [ … ]", "dict_type": "a table", "model_type": "a table { … }"}


def _message(error: dict[str, Any]) -> str:
    """A message that names the field and says the fix."""
    names = [str(p) for p in error["loc"] if isinstance(p, str)]
    field = names[-1] if names else "value"
    kind, value = error["type"], error.get("input")
    shown = json.dumps(value, ensure_ascii=False, default=str)
    if kind == "missing":
        return f"{field} is missing: add `{field} = …`"
    if kind == "extra_forbidden":
        return f"unknown key {field!r}: remove it or correct its spelling"
    if kind in _EXPECTED:
        return f"{field} must be {_EXPECTED[kind]}, got {shown}"
    if kind in ("literal_error", "enum"):
        return f"{field} must be one of {error['ctx']['expected']}, got {shown}"
    if kind == "string_pattern_mismatch":
        return f"{field} {shown} does not match the pattern {error['ctx']['pattern']}"
    text = error["msg"].removeprefix("Value error, ")
    if names and text.startswith(("must ", "is ")):
        return f"{field} {text}"
    return text


def _criterion_name(raw: dict[str, Any], loc: tuple[Any, ...]) -> str | None:
    if len(loc) >= 2 and loc[0] == "criterion" and isinstance(loc[1], int):
        rows = raw.get("criterion")
        if isinstance(rows, list) and loc[1] < len(rows) and isinstance(rows[loc[1]], dict):
            name = rows[loc[1]].get("id")
            return name if isinstance(name, str) else f"row {loc[1] + 1}"
    return None


def load_grid(path: str | Path) -> Grid:
    """Read and validate one grid file; raise :class:`GridError` on the first problem, located."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text, parse_float=Decimal)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column \d+\)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        raise GridError([GridProblem(path.name, int(match.group(1)) if match else None, None,
                                     f"not valid TOML: {message}")]) from None
    try:
        grid = Grid.model_validate(raw)
    except ValidationError as exc:
        raise GridError([GridProblem(path.name, locate(text, tuple(e["loc"])),
                                     _criterion_name(raw, tuple(e["loc"])), _message(e))
                         for e in exc.errors()]) from None
    problems = [GridProblem(path.name, locate(text, ("criterion", index, field)), grid.criterion[index].id, message)
                for index, field, message in _check_whole(grid)]
    if problems:
        raise GridError(problems)
    return grid


def load_grids(paths: Iterable[str | Path]) -> tuple[Grid, ...]:
    """Load several grid files (versions of one or more territories).

    Two versions of one grid may share neither their version nor their effective date: the version in effect at a
    date must be a single one."""
    grids: list[Grid] = []
    seen: dict[tuple[str, str], str] = {}
    for path in map(Path, paths):
        grid = load_grid(path)
        for field, value in (("version", grid.version), ("effective_from", grid.effective_from.isoformat())):
            if (grid.id, f"{field}={value}") in seen:
                raise GridError([GridProblem(
                    path.name, locate(path.read_text(encoding="utf-8"), (field,)), None,
                    f"{field}: {grid.id!r} already has a version with {field} {value} "
                    f"({seen[grid.id, f'{field}={value}']}); give each version its own")])
            seen[grid.id, f"{field}={value}"] = path.name
        grids.append(grid)
    return tuple(grids)


class NoGridInEffect(LookupError):
    """No version of the grid was in effect at the date asked (the date precedes the first version)."""


def grid_in_effect(grids: Iterable[Grid], on: date, grid_id: str | None = None) -> Grid:
    """The version in effect on ``on``: the latest whose ``effective_from`` is not after it.

    Why by date and not "the newest": a score recomputed for a past date (an appeal, an audit) must use the grid
    that was in force then."""
    grids = [g for g in grids if grid_id is None or g.id == grid_id]
    ids = {g.id for g in grids}
    if len(ids) > 1:
        raise ValueError(f"grids of several territories given ({', '.join(sorted(ids))}): say which grid_id")
    candidates = [g for g in grids if g.effective_from <= on]
    if not candidates:
        raise NoGridInEffect(f"no version of grid {grid_id or ''!r} is in effect on {on.isoformat()}: the first "
                             f"takes effect on {min((g.effective_from for g in grids), default=None)}")
    return max(candidates, key=lambda g: g.effective_from)


def default_grid() -> Grid:
    """Thiers Dore et Montagne's grid (seed 003 §1.1.7), shipped as the example and the default."""
    return load_grid(DEFAULT_GRID)
