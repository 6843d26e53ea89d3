"""Reading a list for ``relais listes export``: its rows, filtered by territory and by what the partner it is for may
see (the hub's access rules), rendered as CSV or JSON.

Nothing nominative leaves with a list: the numéro unique, dates, reasons, contingents, wished communes and
typologies, the score, and for the Poulidor list the rankings and refusals (dwelling, commune, rank, motif). A
partner reads the demand itself through the channels its access rules allow.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Connection

from contracts.enums import ListeGestionPartagee
from plugins.listes import tables
from plugins.listes.rules import add_months

__all__ = ["rows", "may_see", "to_csv", "to_json", "COLUMNS"]

COLUMNS = {
    "prioritaires": ("numero_unique", "depuis", "motifs", "contingents", "communes_souhaitees", "typologies",
                     "score"),
    "delai_depasse": ("numero_unique", "depuis", "date_depot", "mois_attente", "communes_souhaitees", "typologies",
                      "score"),
    "poulidor": ("numero_unique", "depuis", "classements", "refus", "communes_souhaitees", "typologies", "score"),
}


def may_see(may_read: Callable[[str, list[str]], bool] | None, row: dict[str, Any]) -> bool:
    """Whether the requester may see this row of a list: the single place the decision is made.

    ``may_read(numero_unique, communes_souhaitees)`` is the partner's answer from the hub's access rules
    (``hub.demand_verdict``: the same engine as for its events, never a copy of the table); None is the operator's
    full view (``relais listes export`` without ``--partner``)."""
    return may_read is None or may_read(row["numero_unique"], row["communes_souhaitees"])


def _months_between(start: date, end: date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    while months > 0 and add_months(start, months) > end:
        months -= 1
    return max(months, 0)


def rows(conn: Connection, liste: ListeGestionPartagee, *, communes: set[str] | None = None,
         may_read: Callable[[str, list[str]], bool] | None = None, today: date) -> list[dict[str, Any]]:
    """The list's rows, oldest entry first; ``communes``: only households wishing one of them; ``may_read``: only
    those a partner may see (:func:`may_see`)."""
    m, d = tables.membres, tables.demandes
    query = (select(m.c.numero_unique, m.c.depuis, m.c.motifs, m.c.contingents, d.c.communes, d.c.typologies,
                    d.c.score, d.c.date_depot)
             .join(d, d.c.numero_unique == m.c.numero_unique)
             .where(m.c.liste == liste.value).order_by(m.c.depuis, m.c.numero_unique))
    found: list[dict[str, Any]] = []
    for r in conn.execute(query):
        wished = json.loads(r.communes)
        if communes and not communes & set(wished):
            continue
        row: dict[str, Any] = {"numero_unique": r.numero_unique, "depuis": r.depuis,
                               "communes_souhaitees": wished, "typologies": json.loads(r.typologies),
                               "score": float(r.score) if r.score is not None else None}
        if liste is ListeGestionPartagee.PRIORITAIRES:
            row |= {"motifs": json.loads(r.motifs), "contingents": json.loads(r.contingents)}
        elif liste is ListeGestionPartagee.DELAI_DEPASSE:
            row |= {"date_depot": r.date_depot,
                    "mois_attente": _months_between(date.fromisoformat(r.date_depot), today) if r.date_depot else None}
        else:
            row |= _poulidor_history(conn, r.numero_unique)
        if may_see(may_read, row):
            found.append(row)
    return found


def _poulidor_history(conn: Connection, numero_unique: str) -> dict[str, Any]:
    """Successive rankings and refusals, newest first (the seed asks for both)."""
    c, f = tables.classements, tables.refus
    classements = [{"date_commission": r.date_commission, "rpls": r.rpls, "commune": r.commune, "rang": r.rang}
                   for r in conn.execute(select(c).where(c.c.numero_unique == numero_unique)
                                         .order_by(c.c.date_commission.desc(), c.c.id.desc()))]
    refus = [{"date_refus": r.date_refus, "rpls": r.rpls, "commune": r.commune, "motif": r.motif}
             for r in conn.execute(select(f).where(f.c.numero_unique == numero_unique)
                                   .order_by(f.c.date_refus.desc(), f.c.id.desc()))]
    return {"classements": classements, "refus": refus}


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " | ".join(_cell(v) for v in value)
    if isinstance(value, dict):
        return " ".join(f"{k}={v}" for k, v in value.items())
    return str(value)


def to_csv(liste: ListeGestionPartagee, found: list[dict[str, Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")   # ';': what French spreadsheets open
    writer.writerow(COLUMNS[liste.value])
    for row in found:
        writer.writerow([_cell(row.get(column)) for column in COLUMNS[liste.value]])
    return out.getvalue()


def to_json(liste: ListeGestionPartagee, found: list[dict[str, Any]], today: date) -> str:
    return json.dumps({"liste": liste.value, "libelle": liste.label, "date": today.isoformat(),
                       "nombre": len(found), "demandes": found}, ensure_ascii=False, indent=2)
