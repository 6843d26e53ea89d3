"""``relais stats`` and ``relais echeances avis`` on an embedded hub holding a generated territory."""

from __future__ import annotations

import json
from datetime import date

from openpyxl import load_workbook
from sqlalchemy import func, select

from hub.core.plugins import PluginHost
from hub.core.processing import end_of_day
from hub.core.runtime import Hub
from hub.settings import HubSettings
from plugins.lifecycle.tables import avis
from tests.plugins.statistics.territory import generate


def _fill(tmp_path):
    settings = HubSettings(home=tmp_path / "home", seed_examples=False)
    with Hub(settings, PluginHost.load(allow=["statistics", "lifecycle"]),
             clock=lambda: end_of_day(date(2026, 1, 5))) as hub:
        hub.journal.append(generate(seed=5, count=80).events)
        hub.tick(end_of_day(date(2026, 1, 5)))
        with hub.journal.engine.connect() as conn:
            return conn.execute(select(avis.c.jour).group_by(avis.c.jour).order_by(func.count().desc(), avis.c.jour)
                                .limit(1)).scalar()


def test_stats_in_every_format_with_charts(relais, tmp_path):
    _fill(tmp_path)
    parc = tmp_path / "parc.csv"
    parc.write_text("commune;typologie;habitat;logements\n63430;T3;collectif;120\n63430;T6P;individuel;4\n",
                    encoding="utf-8")
    as_json = relais("stats", "--year", "2026", "--format", "json", "--parc", str(parc))
    assert as_json.exit_code == 0, as_json.stderr
    figures = json.loads(as_json.stdout)
    assert figures["annee"] == 2026 and figures["territoire"]["logements"] == 124
    assert figures["territoire"]["demandes_en_instance"] > 0
    as_csv = relais("stats", "--year", "2026")
    assert as_csv.exit_code == 0 and as_csv.stdout.startswith("# Synthèse 2026\n")
    out = tmp_path / "stats.xlsx"
    as_xlsx = relais("stats", "--year", "2026", "--format", "xlsx", "--out", str(out), "--charts",
                     str(tmp_path / "charts"))
    assert as_xlsx.exit_code == 0, as_xlsx.stderr
    assert "Par commune" in load_workbook(out).sheetnames
    assert sorted(p.suffix for p in (tmp_path / "charts").iterdir()) == [".png", ".png", ".svg", ".svg"]


def test_xlsx_needs_a_file_and_a_bad_stock_file_names_its_line(relais, tmp_path):
    _fill(tmp_path)
    assert relais("stats", "--year", "2026", "--format", "xlsx").exit_code == 2
    parc = tmp_path / "parc.csv"
    parc.write_text("commune;typologie;habitat;logements\n63430;T3;collectif;120\n63430;T9;individuel;4\n",
                    encoding="utf-8")
    failed = relais("stats", "--year", "2026", "--parc", str(parc))
    assert failed.exit_code != 0
    assert "line 3, typologie: 'T9'" in failed.stderr


def test_the_day_list_of_renewal_notices(relais, tmp_path):
    day = _fill(tmp_path)
    listed = relais("echeances", "avis", "--jour", day, "--format", "json")
    assert listed.exit_code == 0, listed.stderr
    rows = json.loads(listed.stdout)
    assert rows and all(r["jour"] == day and r["canal"] in ("courrier", "courriel") for r in rows)
    as_csv = relais("echeances", "avis", "--jour", day)
    assert as_csv.stdout.splitlines()[0] == "numero_unique,jour,canal,date_anniversaire,date_radiation_prevue"
    assert len(as_csv.stdout.splitlines()) == len(rows) + 1
