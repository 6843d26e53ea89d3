"""Event times survive the journal as the same instant on both dialects: winter, summer, and both DST changes.

SQLite has no time-zone type: the journal used to store ``2026-11-20T00:00+01:00`` as ``00:00`` and read it back as
``00:00+00:00``. It now stores UTC everywhere and reads back aware UTC datetimes.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from contracts import REGISTRY, DecisionCal, LegalEntity
from hub.core.journal import Journal
from tests.conftest import env_for

PARIS = ZoneInfo("Europe/Paris")
ENTITY = LegalEntity(siren="392812343", nom="Bailleur de test")
INSTANTS = {
    "winter": datetime(2026, 11, 20, 0, 0, tzinfo=PARIS),                   # +01:00
    "summer": datetime(2026, 7, 14, 0, 0, tzinfo=PARIS),                    # +02:00
    "before spring change": datetime(2026, 3, 29, 1, 59, 59, tzinfo=PARIS),  # last second of +01:00
    "after spring change": datetime(2026, 3, 29, 3, 0, tzinfo=PARIS),       # first second of +02:00
    "autumn, first 02:30": datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=0),   # +02:00
    "autumn, second 02:30": datetime(2026, 10, 25, 2, 30, tzinfo=PARIS, fold=1),  # +01:00, an hour later
    "other offset": datetime(2026, 5, 1, 12, 0, tzinfo=timezone.utc).astimezone(ZoneInfo("America/Cayenne")),
}


def _event(numero: str, when: datetime):
    data = DecisionCal(numero_unique=numero, rpls="6300054321", commune="63430",
                       date_commission=date(2026, 11, 20), decision="attribution")
    return REGISTRY.build(data, source="bailleurs", entity=ENTITY, time=when)


@pytest.fixture(params=["sqlite", "postgresql"])
def journal_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.sqlite3'}"
    return request.getfixturevalue("pg_schema_url")


def test_event_times_come_back_as_the_same_instant(journal_url: str) -> None:
    journal = Journal(journal_url)
    try:
        numeros = {name: f"06311260{i:05d}G6301" for i, name in enumerate(INSTANTS)}
        journal.append([_event(numeros[name], when) for name, when in INSTANTS.items()])
        for name, when in INSTANTS.items():
            [row] = journal.history(numeros[name])
            # the same instant (compared in UTC: PEP 495 makes == False across zones for an ambiguous time) …
            assert row["time"] == when.astimezone(timezone.utc), name
            assert row["time"].utcoffset().total_seconds() == 0, name   # … given in UTC
            assert row["recorded_at"].tzinfo is not None
        first, second = (journal.history(numeros[n])[0]["time"] for n in ("autumn, first 02:30",
                                                                           "autumn, second 02:30"))
        assert (second - first).total_seconds() == 3600
    finally:
        journal.close()


def test_times_compare_as_instants_in_sql(journal_url: str) -> None:
    """A filter on recorded_at given in another zone selects by instant (replay --since, dead list --since)."""
    journal = Journal(journal_url)
    try:
        journal.append([_event("0631126000099G6301", INSTANTS["winter"])])
        [row] = journal.history("0631126000099G6301")
        just_before = row["recorded_at"].astimezone(ZoneInfo("Pacific/Kiritimati"))   # +14:00 wall clock
        assert len(journal.dead_letters(status=None, since=just_before)) == 0
        seqs, _ = journal.ensure_deliveries("x", just_before, types=lambda _t: True, allowed=lambda _e: True,
                                            parse=REGISTRY.parse)
        assert seqs == [row["seq"]]
        seqs, _ = journal.ensure_deliveries("y", row["recorded_at"].replace(microsecond=0).astimezone(PARIS)
                                            .replace(year=2099), types=lambda _t: True, allowed=lambda _e: True,
                                            parse=REGISTRY.parse)
        assert seqs == []
    finally:
        journal.close()


def test_relais_history_json_shows_the_partners_instant(hub_settings) -> None:
    """What an operator sees: the decision of a commission held at midnight in Paris, in winter."""
    from hub.core.plugins import PluginHost
    from hub.core.runtime import Hub
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs"])) as hub:
        hub.journal.append([_event("0631126000100G6301", INSTANTS["winter"])])
    out = subprocess.run([sys.executable, "-m", "hub", "history", "0631126000100G6301", "--json"],
                         capture_output=True, text=True, env=env_for(hub_settings), timeout=60, check=True)
    [row] = json.loads(out.stdout)
    assert datetime.fromisoformat(row["time"]) == INSTANTS["winter"]
    assert row["time"].startswith("2026-11-19 23:00:00")


def test_relais_history_shows_people_the_territorys_time(hub_settings) -> None:
    from hub.core.plugins import PluginHost
    from hub.core.runtime import Hub
    with Hub(hub_settings, PluginHost.load(allow=["bailleurs"])) as hub:
        hub.journal.append([_event("0631126000101G6301", INSTANTS["winter"]),
                            _event("0631126000101G6301", INSTANTS["summer"])])
    out = subprocess.run([sys.executable, "-m", "hub", "history", "0631126000101G6301"],
                         capture_output=True, text=True, env=env_for(hub_settings), timeout=60, check=True)
    lines = out.stdout.splitlines()
    assert lines[0].startswith("2026-11-20 00:00+0100") and lines[1].startswith("2026-07-14 00:00+0200")
