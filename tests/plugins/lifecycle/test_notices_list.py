"""The daily list of renewal notices due, transmitted to the GIP SNE (cahier des charges des systèmes particuliers,
§ 5): one ``avis_renouvellement_liste`` per day carrying every notice not yet sent, written by the SNE connector as a
file in its outbox. Every date is fixed; nothing depends on the day the tests run."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from pydantic import ValidationError
from sqlalchemy import select

from contracts import REGISTRY
from contracts.enums import CanalNotification
from contracts.events import AvisListe, AvisRenouvellementListe, DemandeRenouvelee
from hub.core.journal_schema import events
from hub.core.plugins import PluginHost
from hub.core.processing import end_of_day
from hub.core.runtime import Hub
from plugins.lifecycle import tables
from plugins.sne.synthetic import SyntheticSne
from tests.plugins.lifecycle.test_echeances_walkthrough import _registration

PLUGINS = ["dossier", "lifecycle", "sne"]


def _hub(settings) -> Hub:
    return Hub(settings, PluginHost.load(allow=PLUGINS), clock=lambda: end_of_day(date(2024, 1, 1)))


def _lists(hub: Hub) -> list[tuple[dict, str | None]]:
    with hub.journal.engine.connect() as conn:
        return [(json.loads(body)["data"], subject) for body, subject in conn.execute(
            select(events.c.body, events.c.subject).where(events.c.type == "avis_renouvellement_liste.v1")
            .order_by(events.c.seq))]


def _outbox_file(hub: Hub, day: date) -> list[dict]:
    path = hub.settings.home / "outbox" / "sne" / f"PREAVIS_RELAIS_{day:%Y%m%d}.csv"
    text = path.read_bytes().decode("utf-8")
    assert text.startswith("numero_unique;date_echeance;date_anniversaire;date_radiation_prevue;canal\r\n")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def test_each_day_the_notices_due_go_to_the_sne_as_one_list_and_a_late_one_rides_the_next(hub_settings):
    sne = SyntheticSne(seed=51)
    by_post = _registration(sne, date(2025, 1, 15), courriel=False)      # notice due 2025-12-15 (1 month before)
    by_mail = _registration(sne, date(2025, 2, 15), courriel=True)       # due 2025-12-15 too (2 months before)
    renewed = _registration(sne, date(2025, 1, 15), courriel=False)      # renewed in time: no notice
    late = _registration(sne, date(2025, 1, 10), courriel=False)         # journaled after its notice's day
    with _hub(hub_settings) as hub:
        hub.journal.append([by_post, by_mail, renewed])
        hub.tick(end_of_day(date(2025, 2, 15)))
        renewal = DemandeRenouvelee(numero_unique=renewed.subject, date_renouvellement=date(2025, 11, 2),
                                    guichet="G6301")
        hub.journal.append([REGISTRY.build(renewal, source="tests", entity=renewed.entity,
                                           time=end_of_day(date(2025, 11, 2)), id=f"ren-{renewed.subject}")])
        hub.tick(end_of_day(date(2025, 12, 14)))
        assert _lists(hub) == []
        hub.tick(end_of_day(date(2025, 12, 15)))
        [(first, subject)] = _lists(hub)
        assert subject is None                                   # about no single demand
        assert first["jour"] == "2025-12-15"
        assert sorted(first["avis"], key=lambda a: a["numero_unique"]) == sorted([
            {"numero_unique": by_post.subject, "date_echeance": "2025-12-15", "canal": "courrier",
             "date_anniversaire": "2026-01-15", "date_radiation_prevue": "2026-03-15"},
            {"numero_unique": by_mail.subject, "date_echeance": "2025-12-15", "canal": "courriel",
             "date_anniversaire": "2026-02-15", "date_radiation_prevue": "2026-04-15"},
        ], key=lambda a: a["numero_unique"])
        hub.tick(end_of_day(date(2025, 12, 15)))                # the day replayed: no second list
        assert len(_lists(hub)) == 1

        hub.journal.append([late])                              # its notice was due 2025-12-10, already past
        hub.tick(end_of_day(date(2025, 12, 16)))
        [_, (second, _)] = _lists(hub)
        assert second["jour"] == "2025-12-16"
        assert [a["numero_unique"] for a in second["avis"]] == [late.subject]
        assert second["avis"][0]["date_echeance"] == "2025-12-10"

        hub.run_once()                                          # the SNE connector writes each day's file
        rows = _outbox_file(hub, date(2025, 12, 15))
        assert sorted(r["numero_unique"] for r in rows) == sorted([by_post.subject, by_mail.subject])
        assert {r["canal"] for r in rows} == {"courrier", "courriel"}
        assert [r["numero_unique"] for r in _outbox_file(hub, date(2025, 12, 16))] == [late.subject]

        with hub.journal.engine.connect() as conn:
            live = (conn.execute(select(tables.avis).order_by(tables.avis.c.numero_unique)).all(),
                    conn.execute(select(tables.listes).order_by(tables.listes.c.jour)).all())
        assert [(r.jour, r.nombre) for r in live[1]] == [("2025-12-15", 2), ("2025-12-16", 1)]
        hub.projections.rebuild("echeances", hub.clock)         # the lists come back from the journal
        with hub.journal.engine.connect() as conn:
            rebuilt = (conn.execute(select(tables.avis).order_by(tables.avis.c.numero_unique)).all(),
                       conn.execute(select(tables.listes).order_by(tables.listes.c.jour)).all())
        assert rebuilt == live


def test_notices_from_before_the_lists_are_not_sent(hub_settings):
    """A journal upgraded from a release without daily lists holds notices no list carried: they were the fichier
    partagé's to send then, and must not reach the GIP SNE in the first list."""
    sne = SyntheticSne(seed=52)
    current = _registration(sne, date(2025, 1, 15), courriel=False)
    old = sne.numero_unique(date(2024, 1, 3))
    with _hub(hub_settings) as hub:
        hub.journal.append([current])
        hub.tick(end_of_day(date(2025, 1, 15)))
        with hub.journal.engine.begin() as conn:
            conn.execute(tables.avis.insert().values(numero_unique=old, date_anniversaire="2025-01-03",
                                                     jour="2024-12-03", canal="courrier",
                                                     date_radiation_prevue="2025-03-03", liste=None))
        hub.tick(end_of_day(date(2025, 12, 15)))
        [(listed, _)] = _lists(hub)
        assert [a["numero_unique"] for a in listed["avis"]] == [current.subject]


def _avis(nu: str) -> AvisListe:
    return AvisListe(numero_unique=nu, date_echeance=date(2025, 12, 15), canal=CanalNotification.COURRIER,
                     date_anniversaire=date(2026, 1, 15), date_radiation_prevue=date(2026, 3, 15))


def test_a_list_names_each_notice_once_and_is_never_empty():
    nu = SyntheticSne(seed=1).numero_unique(date(2025, 1, 15))
    with pytest.raises(ValidationError, match="listed twice"):
        AvisRenouvellementListe(jour=date(2025, 12, 15), avis=(_avis(nu), _avis(nu)))
    with pytest.raises(ValidationError, match="avis"):
        AvisRenouvellementListe(jour=date(2025, 12, 15), avis=())
