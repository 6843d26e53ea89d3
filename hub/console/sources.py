"""What the console reads from the bundled processors: a dossier, its cotation explained, the lists, the year's
statistics — through the same functions as their commands (``relais dossier``, ``relais cotation explain``,
``relais listes export``, ``relais stats``), so that a page and a command never disagree.

Why one module: the console is a face of the hub that shows the processors' projections; this is the only place it
touches a plugin's package, and each function answers None (the page then says the processor is not enabled) when
the processor is not loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

from contracts.enums import ListeGestionPartagee

__all__ = [
    "COLUMNS",
    "LISTES",
    "cotation_explained",
    "dossier",
    "echeances",
    "liste_csv",
    "liste_rows",
    "statistics",
    "statistics_tables",
]

#: the three lists, in the order the console shows them, with their French labels
LISTES = {liste.value: liste.label for liste in ListeGestionPartagee}


def _columns() -> dict[str, tuple[str, ...]]:
    from plugins.listes.export import COLUMNS as columns
    return columns


COLUMNS = _columns()


def dossier(hub: Any, numero_unique: str) -> dict[str, Any] | None:
    """The dossier projection (state and history), as ``relais dossier --json`` prints it; None when unknown."""
    from plugins.dossier.processor import read_dossier
    processor = hub.connectors.get("dossier")
    if processor is None:
        return None
    with processor.context.read() as conn:
        return read_dossier(conn, numero_unique)


def cotation_explained(hub: Any, numero_unique: str) -> str | None:
    """The last score explained criterion by criterion (``relais cotation explain``); None when none."""
    from plugins.cotation.explain import cotation_from_event, explain
    from plugins.cotation.processor import last_score
    processor = hub.connectors.get("cotation")
    if processor is None:
        return None
    with processor.context.read() as conn:
        event = last_score(conn, numero_unique)
    if event is None:
        return None
    try:
        return explain(cotation_from_event(event, processor.grids), numero_unique)
    except LookupError as exc:
        return f"Explication indisponible : {exc}"


def echeances(hub: Any, numero_unique: str) -> dict[str, Any] | None:
    """The demand's deadlines (renewal, radiation) from the lifecycle processor; None when not loaded/unknown."""
    processor = hub.connectors.get("echeances")
    if processor is None:
        return None
    with processor.context.read() as conn:
        return processor.echeances(conn, numero_unique)


def liste_rows(hub: Any, name: str, *, communes: set[str] | None,
               may_read: Callable[[str, list[str]], bool] | None, today: date) -> list[dict[str, Any]] | None:
    """A list's rows, filtered by communes and by what the partner may read (``plugins.listes.export.rows``)."""
    from plugins.listes.export import rows
    processor = hub.connectors.get("listes")
    if processor is None:
        return None
    with processor.context.read() as conn:
        return rows(conn, ListeGestionPartagee(name), communes=communes, may_read=may_read, today=today)


def liste_csv(name: str, found: list[dict[str, Any]]) -> str:
    from plugins.listes.export import to_csv
    return to_csv(ListeGestionPartagee(name), found)


def statistics(hub: Any, year: int) -> dict[str, Any] | None:
    """The year's figures under statistical secrecy, as ``relais stats --year`` computes them."""
    from plugins.statistics.figures import compute
    from plugins.statistics.parc import read_parc
    processor = hub.connectors.get("statistiques")
    if processor is None:
        return None
    settings = processor.settings
    with processor.context.read() as conn:
        demandes, attributions = processor.rows(conn)
    stock = read_parc(Path(settings.parc)) if settings.parc else []
    return compute(year, demandes, attributions, stock, settings.secret_seuil)


def statistics_tables(figures: dict[str, Any]) -> list[tuple[str, list[str], list[list[Any]]]]:
    """Every table of the annual report (title, header, rows), hidden cells marked as in ``relais stats``."""
    from plugins.statistics.export import sheets
    return list(sheets(figures))
