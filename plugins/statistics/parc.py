"""The landlords' stock the dwelling counts come from: a CSV file (``commune;typologie;habitat;logements``), e.g.
made from the RPLS (répertoire des logements locatifs des bailleurs sociaux) of the territory.

Why a file and not events: no partner sends its stock as events yet; the RPLS is published yearly. Errors name the
line and the column.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from hub import ConfigurationError
from plugins.statistics.figures import Parc
from plugins.statistics.processor import bucket

__all__ = ["read_parc", "parse_parc"]

_HABITATS = {"individuel", "collectif"}


def parse_parc(text: str, origin: str) -> list[Parc]:
    sample = text.splitlines()[0] if text else ""
    reader = csv.DictReader(io.StringIO(text), delimiter=";" if ";" in sample else ",")
    missing = {"commune", "typologie", "habitat", "logements"} - set(reader.fieldnames or ())
    if missing:
        raise ConfigurationError(f"{origin}: line 1: missing column(s) {', '.join(sorted(missing))}")
    out = []
    for line, row in enumerate(reader, 2):
        commune = (row["commune"] or "").strip()
        if len(commune) != 5:
            raise ConfigurationError(f"{origin}: line {line}, commune: {commune!r} is not an INSEE code (5 characters)")
        typ = bucket((row["typologie"] or "").strip().upper().replace("T6+", "T6P").replace("T5+", "T5"))
        if typ is None:
            raise ConfigurationError(f"{origin}: line {line}, typologie: {row['typologie']!r}; write C, T1 … T5, "
                                     "T6P (T5+ accepted)")
        habitat = (row["habitat"] or "").strip().lower()
        if habitat not in _HABITATS:
            raise ConfigurationError(f"{origin}: line {line}, habitat: {row['habitat']!r}; write individuel or "
                                     "collectif")
        try:
            count = int(row["logements"])
        except (TypeError, ValueError):
            count = -1
        if count < 0:
            raise ConfigurationError(f"{origin}: line {line}, logements: {row['logements']!r} is not a count")
        out.append(Parc(commune, typ, habitat, count))
    return out


def read_parc(path: Path) -> list[Parc]:
    return parse_parc(path.read_text(encoding="utf-8-sig"), str(path))
