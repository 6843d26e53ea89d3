"""The territory's figures checked against an independent count of a generated territory, statistical secrecy
included (no hidden cell can be recomputed: checked by a graph argument, not by the plugin's linear algebra); a purge
changes no figure; the charts are drawn and their files checked."""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from datetime import date

import pytest
from openpyxl import load_workbook

from hub.core.plugins import PluginHost
from hub.core.processing import end_of_day
from hub.core.retention import purge_in
from hub.core.runtime import Hub
from plugins.statistics import charts, export
from plugins.statistics.figures import compute
from plugins.statistics.processor import read_rows
from plugins.statistics.secret import TOTAL, column_equation, grid_equations, protect
from tests.plugins.statistics.territory import generate

YEAR = 2026
END = date(2025, 12, 31)
SEUIL = 5
TYPOLOGIES = ["T1", "T2", "T3", "T4", "T5+"]


@pytest.fixture(scope="module")
def territory():
    return generate()


def _hub(settings) -> Hub:
    return Hub(settings, PluginHost.load(allow=["statistics"]), clock=lambda: end_of_day(date(2026, 6, 30)))


def _figures(hub: Hub, territory):
    with hub.journal.engine.connect() as conn:
        demandes, attributions = read_rows(conn)
    return compute(YEAR, demandes, attributions, territory.parc, SEUIL), demandes, attributions


def _expected(territory):
    """The figures counted straight from what the generator made (not from the projection)."""
    pending = {nu: f for nu, f in territory.demands.items()
               if f["registered"] <= END and (f["radiated"] is None or f["radiated"] > END)}
    attributed = [a for a in territory.attributions if a["lease"].year == YEAR - 1]
    return pending, attributed


def _bridges(hidden: set, rows: list, cols: list) -> list:
    """Hidden cells of a two-way table (with its totals) that lie on no cycle of hidden cells: those a reader can
    recompute. Rows and columns are the nodes (the totals too); each hidden cell an edge."""
    found = []
    for cell in hidden:
        others = hidden - {cell}
        adjacency = defaultdict(set)
        for r, c in others:
            adjacency[("r", r)].add(("c", c))
            adjacency[("c", c)].add(("r", r))
        start, goal = ("r", cell[0]), ("c", cell[1])
        seen, todo = {start}, [start]
        while todo:
            node = todo.pop()
            for nxt in adjacency[node] - seen:
                seen.add(nxt)
                todo.append(nxt)
        if goal not in seen:
            found.append(cell)
    return found


def test_figures_match_an_independent_count_with_secrecy(hub_settings, territory):
    with _hub(hub_settings) as hub:
        hub.journal.append(territory.events)
        hub.run_once()
        figures, _d, _a = _figures(hub, territory)
    pending, attributed = _expected(territory)

    t = figures["territoire"]
    assert t["demandes_en_instance"] == len(pending)
    assert t["logements"] == sum(p.logements for p in territory.parc)

    cells = {(c["commune"], c["typologie"]): c for c in figures["par_commune_typologie"]}
    want_pending = Counter((f["commune"], f["typologie"]) for f in pending.values())
    want_attr = Counter((a["commune"], a["typologie"]) for a in attributed)
    want_habitat = Counter((f["commune"], f["typologie"], f["habitat"]) for f in pending.values())
    want_kind = Counter((a["commune"], a["typologie"], a["habitat"]) for a in attributed)
    split_hidden = 0
    hidden = set()
    for key, cell in cells.items():
        assert cell["demandes_en_instance"] == want_pending.get(key, 0)
        assert cell["demandes_individuel"] == want_habitat.get((*key, "individuel"), 0)
        assert cell["logements"] == sum(p.logements for p in territory.parc if (p.commune, p.typologie) == key)
        n = want_attr.get(key, 0)
        if 0 < n < SEUIL:
            assert cell["attributions"] is None, f"{key}: {n} attribution(s) published under the threshold"
        if cell["attributions"] is None:
            hidden.add(key)
            assert cell["delai_attente_theorique_mois"] is None      # it would give the hidden count away
        else:
            assert cell["attributions"] == n
            expected = round(want_pending.get(key, 0) / n * 12, 1) if n else None
            assert cell["delai_attente_theorique_mois"] == expected
        # the split by the dwelling's kind: published with its cell, unless a part (individuel, collectif, not
        # reported) is under the threshold — the parts add up to the cell, one hidden part alone would be recomputed
        parts = (want_kind.get((*key, "individuel"), 0), want_kind.get((*key, "collectif"), 0),
                 want_kind.get((*key, None), 0))
        if cell["attributions"] is None or any(0 < p < SEUIL for p in parts):
            assert (cell["attributions_individuel"], cell["attributions_collectif"]) == (None, None), key
            split_hidden += cell["attributions"] is not None
        else:
            assert (cell["attributions_individuel"], cell["attributions_collectif"]) == parts[:2], key
    assert any(0 < n < SEUIL for n in want_attr.values()), "the territory should have small cells"
    assert hidden, "secrecy hid nothing"
    assert split_hidden, "the territory should have a published cell whose split by kind is hidden"

    # totals as published: a hidden total is a hidden cell too
    communes = sorted({k[0] for k in cells})
    per_commune = {c["commune"]: c for c in figures["par_commune"]}
    for commune in communes:
        if per_commune[commune]["attributions"] is None:
            hidden.add((commune, TOTAL))
        else:
            assert per_commune[commune]["attributions"] == sum(want_attr.get((commune, ty), 0) for ty in TYPOLOGIES)
    by_typology = figures["tableaux_annuels"]["typologie"]["attributions"]
    for typ in TYPOLOGIES:      # the grid's column totals are published in the annual table by typology
        if by_typology[typ] is None:
            hidden.add((TOTAL, typ))
        else:
            assert by_typology[typ] == sum(want_attr.get((c, typ), 0) for c in communes)
    if t["attributions"] is None:
        hidden.add((TOTAL, TOTAL))
    else:
        assert t["attributions"] == len(attributed)
    assert _bridges(hidden, communes, TYPOLOGIES) == []

    # per commune: mean delay from filing to moving in
    for commune in communes:
        mine = [a for a in attributed if a["commune"] == commune]
        delays = [(a["entree"] - (territory.demands[a["nu"]]["depot"] or territory.demands[a["nu"]]["registered"]))
                  .days for a in mine]
        got = per_commune[commune]["delai_moyen_attribution_jours"]
        if per_commune[commune]["attributions"] is not None and delays:
            assert got == round(sum(delays) / len(delays))
        else:
            assert got is None

    # CIA: attributions with a lease, outside QPV, to first-quartile households
    outside = [a for a in attributed if a["qpv"] is None]
    first = sum(1 for a in outside if a["first_quartile"])
    cia = figures["cia"]
    assert cia["attributions_hors_qpv_avec_bail"] == len(outside)
    if cia["part_pct"] is not None:
        assert cia["part_pct"] == round(first / len(outside) * 100, 1)
        assert cia["objectif_atteint"] is (cia["part_pct"] >= 25)

    # annual tables: typology, with their own secrecy
    typ = figures["tableaux_annuels"]["typologie"]
    want = Counter(a["typologie"] for a in attributed)
    published = typ["attributions"]
    for category, value in published.items():
        if category == TOTAL:
            continue
        n = want.get(category, 0)
        assert value is None if 0 < n < SEUIL else value == n
    assert sum(1 for v in published.values() if v is None) != 1
    assert typ["demandes"][TOTAL] == len(pending)


def test_secondary_suppression_leaves_no_hidden_cell_recomputable_on_random_tables():
    rng = random.Random(16)
    for _ in range(60):
        rows = [f"c{i}" for i in range(rng.randint(2, 6))]
        cols = [f"t{j}" for j in range(rng.randint(2, 5))]
        values = {(r, c): rng.choice([0, 0, 1, 2, 3, 4, 6, 9, 15, 40]) for r in rows for c in cols}
        for r in rows:
            values[(r, TOTAL)] = sum(values[(r, c)] for c in cols)
        for c in [*cols, TOTAL]:
            values[(TOTAL, c)] = sum(values[(r, c)] for r in rows)
        hidden = protect(values, grid_equations(rows, cols), SEUIL)
        assert {k for k, v in values.items() if 0 < v < SEUIL} <= hidden
        assert _bridges(hidden, rows + [TOTAL], cols + [TOTAL]) == []
    one_way = {"a": 2, "b": 30, "c": 0, TOTAL: 32}
    assert protect(one_way, column_equation(["a", "b", "c"]), SEUIL) == {"a", "b"}


def test_a_purge_changes_no_figure(hub_settings, territory):
    with _hub(hub_settings) as hub:
        hub.journal.append(territory.events)
        hub.run_once()
        before, _d, _a = _figures(hub, territory)
        purged = [a["nu"] for a in territory.attributions[:10]] + list(territory.demands)[:10]
        with hub.journal.engine.begin() as conn:
            for nu in purged:
                purge_in(conn, nu, hub.processors, end_of_day(date(2027, 1, 1)))
        hub.projections.rebuild("statistiques", hub.clock)     # from tombstones for the purged demands
        after, _d, _a = _figures(hub, territory)
    assert after == before


def test_outputs_csv_json_xlsx_and_charts(hub_settings, territory, tmp_path):
    with _hub(hub_settings) as hub:
        hub.journal.append(territory.events)
        hub.run_once()
        figures, demandes, attributions = _figures(hub, territory)
    text = export.to_csv(figures)
    assert text.startswith(f"# Synthèse {YEAR}\n") and ";s;" in text or ";s\n" in text
    export.to_xlsx(figures, tmp_path / "stats.xlsx")
    book = load_workbook(tmp_path / "stats.xlsx")
    assert book.sheetnames[:3] == [f"Synthèse {YEAR}", "Par commune et typologie", "Par commune"]
    assert book["Par commune et typologie"].max_row == len(figures["par_commune_typologie"]) + 1
    drawn = charts.waiting_time_chart(figures, tmp_path / "charts") + charts.demands_vs_attributions_chart(
        demandes, attributions, tmp_path / "charts", SEUIL)
    assert sorted(p.name for p in drawn) == sorted([f"delai_attente_{YEAR}.png", f"delai_attente_{YEAR}.svg",
                                                    "demandes_attributions.png", "demandes_attributions.svg"])
    for path in drawn:
        data = path.read_bytes()
        assert 5_000 < len(data) < 2_000_000, (path.name, len(data))
        if path.suffix == ".png":
            assert data[:8] == b"\x89PNG\r\n\x1a\n"
            width = int.from_bytes(data[16:20], "big")
            assert width > 400
        else:
            assert b"<svg" in data[:2000] and data.rstrip().endswith(b"</svg>")


def _attribution(nu: int, commune: str, typologie: str, habitat: str | None) -> dict:
    return {"numero_unique": f"N{nu}", "commune": commune, "typologie": typologie, "habitat": habitat,
            "date_attribution": "2025-03-01", "date_bail": "2025-03-10", "date_entree": None, "qpv": None,
            "hors_qpv": True, "premier_quartile": False}


def test_attributions_split_by_the_dwellings_kind_under_secrecy():
    rows = ([_attribution(i, "63430", "T3", "collectif") for i in range(7)]
            + [_attribution(10 + i, "63430", "T3", "individuel") for i in range(5)]
            + [_attribution(20 + i, "63430", "T2", "collectif") for i in range(6)]
            + [_attribution(30, "63430", "T2", "individuel")]
            + [_attribution(40 + i, "63430", "T4", None) for i in range(8)])
    figures = compute(2026, [], rows, [], 5)
    cells = {(c["commune"], c["typologie"]): c for c in figures["par_commune_typologie"]}

    def split(key):
        cell = cells[key]
        return cell["attributions"], cell["attributions_individuel"], cell["attributions_collectif"]

    assert split(("63430", "T3")) == (12, 5, 7)          # every part at or above the threshold: published
    assert split(("63430", "T2")) == (7, None, None)     # one individual dwelling: the split would name it
    assert split(("63430", "T4")) == (8, 0, 0)           # not reported: eight unknown, nothing to hide
    # a secret cell's split is secret too: checked on the generated territory above
