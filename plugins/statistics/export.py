"""The figures as files people read: CSV (one section per table), JSON, XLSX (one sheet per table).

Hidden cells (statistical secrecy) are written ``s`` in CSV and XLSX — the usual mark of French official statistics
— and ``null`` in JSON. Labels are French: these files go into the annual report as they are.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from plugins.statistics.secret import TOTAL

__all__ = ["to_json", "to_csv", "to_xlsx", "sheets", "SECRET_MARK"]

SECRET_MARK = "s"

_LABELS = {
    "commune": "Commune (INSEE)", "typologie": "Typologie", "logements": "Logements",
    "logements_individuels": "dont individuels", "logements_collectifs": "dont collectifs",
    "demandes_en_instance": "Demandes en instance", "demandes_individuel": "dont individuel souhaité",
    "demandes_collectif": "dont collectif souhaité", "demandes_indifferent": "dont indifférent",
    "attributions": "Attributions", "attributions_individuel": "dont logements individuels",
    "attributions_collectif": "dont logements collectifs", "delai_attente_theorique_mois": "Délai d'attente théorique (mois)",
    "delai_moyen_attribution_jours": "Délai moyen d'attribution (jours)",
    "part_mutations_demandes_pct": "Part des mutations dans la demande (%)",
    "part_mutations_attributions_pct": "Part des mutations dans les attributions (%)",
}


def _cell(value: Any, secret: bool) -> Any:
    return SECRET_MARK if value is None and secret else ("" if value is None else value)


def sheets(figures: dict[str, Any]) -> Iterator[tuple[str, list[str], list[list[Any]]]]:
    """(title, header, rows) of every table, in the report's order."""
    n, prev = figures["annee"], figures["attributions_annee"]
    t = figures["territoire"]
    cia = figures["cia"]
    yield (f"Synthèse {n}", ["Indicateur", "Valeur"], [
        ["Logements sociaux", t["logements"]],
        [f"Demandes en instance au {figures['au']}", t["demandes_en_instance"]],
        [f"Attributions {prev}", _cell(t["attributions"], True)],
        ["Délai d'attente théorique (mois)", _cell(t["delai_attente_theorique_mois"], True)],
        ["Part des mutations dans la demande (%)", _cell(t["part_mutations_demandes_pct"], False)],
        [f"Attributions {prev} hors QPV avec bail signé", cia["attributions_hors_qpv_avec_bail"]],
        ["dont ménages du premier quartile", _cell(cia["dont_premier_quartile"], True)],
        ["Indicateur CIA (%) — objectif ≥ 25 %", _cell(cia["part_pct"], True)],
        ["Seuil du secret statistique", figures["secret_seuil"]],
    ])
    keys = list(figures["par_commune_typologie"][0]) if figures["par_commune_typologie"] else list(_LABELS)[:13]
    yield ("Par commune et typologie", [_LABELS[k] for k in keys],
           [[_cell(row[k], True) for k in keys] for row in figures["par_commune_typologie"]])
    keys = list(figures["par_commune"][0]) if figures["par_commune"] else ["commune"]
    yield ("Par commune", [_LABELS[k] for k in keys],
           [[_cell(row[k], True) for k in keys] for row in figures["par_commune"]])
    for table in figures["tableaux_annuels"].values():
        categories = list(table["demandes"])
        yield (table["libelle"], [table["libelle"], f"Demandes en instance au {figures['au']}",
                                  f"Attributions {prev}"],
               [[c if c != TOTAL else "Total", _cell(table["demandes"][c], True),
                 _cell(table["attributions"][c], True)] for c in categories])


def to_json(figures: dict[str, Any]) -> str:
    return json.dumps(figures, ensure_ascii=False, indent=2)


def to_csv(figures: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")   # ';': what a French spreadsheet opens as is
    for title, header, rows in sheets(figures):
        writer.writerow([f"# {title}"])
        writer.writerow(header)
        writer.writerows(rows)
        writer.writerow([])
    return out.getvalue()


def to_xlsx(figures: dict[str, Any], path: Path) -> None:
    from openpyxl import Workbook   # only this format needs it
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, header, rows in sheets(figures):
        sheet = book.create_sheet(title[:31].replace("/", "-"))
        sheet.append(header)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in rows:
            sheet.append(row)
    book.save(path)
