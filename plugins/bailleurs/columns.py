"""The columns of ``relais.bailleurs.caleol_csv/1``, derived from the wire models, and how a cell becomes a value.

Why derived: a CSV row is a record of ``evenements/1`` flattened (``reservataire`` → ``reservataire_siren`` and
``reservataire_nom``), so the columns are the records' fields — a field added to a contract shows up here, in the
README's table (a test compares them) and in the decoder at once.

Cells are what spreadsheets write: dates ``YYYY-MM-DD`` or ``DD/MM/YYYY``, numbers with a decimal comma, booleans
``oui``/``non``; an empty cell is an absent field. A cell a spreadsheet would take for a formula is written back
(in a rejected row's replay) behind a ``'``, which reading removes again (:func:`neutralise`, :func:`cell_text`).
"""

from __future__ import annotations

import re
import typing
from dataclasses import dataclass
from datetime import date
from typing import Any

from pydantic import BaseModel

from contracts import LegalEntity
from plugins.bailleurs.wire import RECORDS

__all__ = [
    "BY_NAME",
    "COLUMNS",
    "REQUIRED",
    "CellError",
    "Column",
    "cell_text",
    "cell_value",
    "fields_of",
    "neutralise",
]

#: Leading characters that make a spreadsheet evaluate a cell (CSV injection, OWASP).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A whole number as a spreadsheet may write it: "2", "2,0", "2.00" (at most 9 digits).
_WHOLE = re.compile(r"^([0-9]{1,9})(?:[.,]0*)?$")


class CellError(ValueError):
    """A cell that cannot be the value of its column; the message says what is expected, never the cell."""


@dataclass(frozen=True)
class Column:
    """One CSV column: the record field it fills (``sub``: the key inside a legal entity) and its kind."""

    name: str
    field: str
    kind: str                  # "date", "bool", "int", "entity" or "text"
    sub: str | None = None     # "siren" or "nom" for an entity's column
    description: str = ""


def _kind(annotation: Any) -> str:
    args = [a for a in typing.get_args(annotation) if a is not type(None)] or [annotation]
    base = args[0]
    while typing.get_origin(base) is typing.Annotated:
        base = typing.get_args(base)[0]
    if base is bool:
        return "bool"
    if base is int:
        return "int"
    if base is date:
        return "date"
    if isinstance(base, type) and issubclass(base, LegalEntity):
        return "entity"
    return "text"


def _columns() -> tuple[Column, ...]:
    found: dict[str, Column] = {
        "type": Column("type", "type", "text", description="the record's type: " + ", ".join(RECORDS)),
        "id": Column("id", "id", "text", description="the landlord's own id of the record (resend key)"),
        "bailleur_siren": Column("bailleur_siren", "bailleur", "entity", "siren", "the landlord's SIREN"),
        "bailleur_nom": Column("bailleur_nom", "bailleur", "entity", "nom", "the landlord's name"),
    }
    for model in RECORDS.values():
        for name, info in model.model_fields.items():
            kind = _kind(info.annotation)
            if kind == "entity":
                for sub in ("siren", "nom"):
                    found.setdefault(f"{name}_{sub}", Column(f"{name}_{sub}", name, kind, sub,
                                                             f"{info.description or name} ({sub})"))
            else:
                found.setdefault(name, Column(name, name, kind, description=info.description or ""))
    return tuple(found.values())


COLUMNS: tuple[Column, ...] = _columns()
BY_NAME: dict[str, Column] = {c.name: c for c in COLUMNS}
#: Columns every file has (the header may put them in any order; the others are optional).
REQUIRED = ("type", "id", "bailleur_siren", "bailleur_nom", "numero_unique", "rpls", "commune")


def fields_of(model: type[BaseModel]) -> frozenset[str]:
    """The record fields a type may fill."""
    return frozenset(model.model_fields)


def cell_text(cell: str) -> str:
    """The cell as the landlord meant it: blanks around it dropped, and the ``'`` that protects a formula-looking
    cell (as spreadsheets and :func:`neutralise` write it) removed."""
    text = cell.strip()
    if len(text) > 1 and text[0] == "'" and text[1] in _FORMULA_START:
        return text[1:]
    return text


def neutralise(cell: str) -> str:
    """A cell safe to open in a spreadsheet: one starting like a formula is prefixed with ``'``."""
    return "'" + cell if cell.startswith(_FORMULA_START) else cell


def cell_value(column: Column, text: str) -> Any:
    """The value of a non-empty cell for its column, in the form the record model validates."""
    if column.kind == "date":
        return _date(text)
    if column.kind == "bool":
        lowered = text.lower()
        if lowered in ("oui", "o", "vrai", "true", "1"):
            return True
        if lowered in ("non", "n", "faux", "false", "0"):
            return False
        raise CellError("expected oui or non (or true/false, 1/0)")
    if column.kind == "int":
        # digits with an optional decimal comma ("2,0"), nothing else: "1e999999999" would be a billion digits
        found = _WHOLE.match(text.replace(" ", ""))
        if found is None:
            raise CellError("expected a whole number")
        return int(found.group(1))
    return text


def _date(text: str) -> str:
    """``YYYY-MM-DD``, or ``DD/MM/YYYY`` as French spreadsheets write it."""
    try:
        if "/" in text:
            day, month, year = text.split("/")
            if len(year) != 4:
                raise ValueError
            return date(int(year), int(month), int(day)).isoformat()
        return date.fromisoformat(text).isoformat() if len(text) == 10 else _not_a_date()
    except ValueError:
        raise CellError("expected a date YYYY-MM-DD (or DD/MM/YYYY)") from None


def _not_a_date() -> str:
    raise ValueError
