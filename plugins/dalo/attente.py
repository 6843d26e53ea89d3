"""The DALO households still waiting for rehousing, as of a day: read from the ``dalo_attente`` projection, with each
household's deadline (the date the COMED gave, else its decision date plus the territory's délai) and the days left
(negative: past it). Rendered as CSV (``;``) or JSON for the COMED and the préfet's services."""

from __future__ import annotations

import calendar
import csv
import io
import json
from dataclasses import asdict, dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.engine import Connection

from plugins.dalo import tables

__all__ = ["Attente", "add_months", "to_csv", "to_json", "waiting"]

COLUMNS = ("numero_unique", "numero_recours", "date_decision", "date_limite_relogement", "jours_restants",
           "delai_depasse", "typologie_dalo")


@dataclass(frozen=True)
class Attente:
    numero_unique: str
    numero_recours: str
    date_decision: str
    date_limite_relogement: str
    jours_restants: int
    delai_depasse: bool
    typologie_dalo: str | None


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has fewer (31 August + 6 months: 28 or 29
    February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def waiting(conn: Connection, today: date, months: int) -> list[Attente]:
    """Households decided "prioritaire et urgent" on or before ``today`` and not rehoused, radiated or cleared since,
    nearest deadline first."""
    found = []
    for row in conn.execute(select(tables.menages).where(tables.menages.c.statut == "en_attente")):
        decided = date.fromisoformat(row.date_decision)
        if decided > today:
            continue
        limite = date.fromisoformat(row.date_limite) if row.date_limite else add_months(decided, months)
        left = (limite - today).days
        found.append(Attente(row.numero_unique, row.numero_recours, row.date_decision, limite.isoformat(), left,
                             left < 0, row.typologie_dalo))
    return sorted(found, key=lambda a: (a.date_limite_relogement, a.numero_unique))


def to_csv(rows: list[Attente]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        values = asdict(row)
        values["delai_depasse"] = "oui" if row.delai_depasse else "non"
        writer.writerow(["" if values[c] is None else values[c] for c in COLUMNS])
    return out.getvalue()


def to_json(rows: list[Attente], today: date, months: int) -> str:
    return json.dumps({"format": "relais.dalo.attente/1", "au": today.isoformat(), "delai_relogement_mois": months,
                       "menages": [asdict(r) for r in rows]}, ensure_ascii=False, indent=2) + "\n"
