"""The hub pulls the SNE's "since" services on its schedule: radiations and new DALO households become events once,
however often the overlapping answers are fetched, and an SNE that is down costs a retry, not the cursor."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime, timedelta

import pytest
from sne_fake import FakeSne
from sne_support import FIXTURES, SNE_ENTITY

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from plugins.sne.codec import PARIS

RADIATION = (FIXTURES / "demande_radiee_non_renouvellement.xml").read_bytes()
RECORD = RADIATION[RADIATION.index(b"  <ns1:radiation>"): RADIATION.index(b"</ns1:radiation>") + 16]
FILE_DATE = re.search(rb"<ns1:dateFichier>([^<]+)<", RADIATION).group(1)
#: the golden radiation's demand, and two more numbers of the same desk and month
NUMERO = re.search(rb"<ns1:numUnique>([^<]+)<", RECORD).group(1).decode()
NUMERO_2, NUMERO_3 = (NUMERO[:7] + f"{n:06d}" + NUMERO[13:] for n in (900_010, 900_011))


def _radiations(*numeros: str, day: str = "2024-11-13") -> bytes:
    """An answer of demandesRadieesDepuisLe listing these radiations (a later answer lists more)."""
    records = b"\n".join(RECORD.replace(NUMERO.encode(), n.encode()) for n in numeros)
    return RADIATION.replace(RECORD, records).replace(FILE_DATE, f"{day}T00:00:00.000+01:00".encode())


@pytest.fixture
def hub(hub_settings, fake_server, sne_section) -> Iterator[tuple[Hub, FakeSne]]:
    fake, _url = fake_server
    fake.radiees = _radiations(NUMERO)
    fake.dalo = (FIXTURES / "decision_dalo.xml").read_bytes()
    section = {**sne_section, "entity": SNE_ENTITY.model_dump(), "poll_first_days": 7}
    settings = hub_settings.model_copy(update={"connectors": {"sne": section}})
    with Hub(settings, PluginHost.load(allow=["sne"])) as hub:
        yield hub, fake


def _today() -> date:
    """The SNE's services count in days, in Paris."""
    return datetime.now(PARIS).date()


def _since(received) -> str:
    """The day a "since" request asked for (its date parameter is midnight in France)."""
    parameter = received.parameters.get("dateRadiationDepuisLe") or received.parameters["dateNouveauDaloDepuisLe"]
    return parameter[:10]


def _types(hub: Hub) -> list[str]:
    return sorted(e["type"] for n in (NUMERO, NUMERO_2, NUMERO_3)
                  for e in hub.journal.history(n))


def test_radiations_and_dalo_are_pulled_once_each_however_often_they_are_fetched(hub):
    hub, fake = hub
    first = hub.run_once()
    [pulled] = first.polled
    assert (pulled.outcome, pulled.fetched) == ("fetched", 2)
    assert fake.operations() == ["demandesRadieesDepuisLe", "nouveauxDaloDepuisLe"]
    since = (_today() - timedelta(days=7)).isoformat()
    assert [_since(r) for r in fake.received] == [since] * 2, "the first pull goes back poll_first_days"
    assert [sorted(r.parameters) for r in fake.received] == [["dateRadiationDepuisLe", "nomCertificat"],
                                                             ["dateNouveauDaloDepuisLe", "nomCertificat"]]
    assert first.ingested["sne"].journaled == 2
    assert _types(hub) == ["demande_radiee.v1"]
    assert hub.journal.count_events() == 2

    # later the same day the SNE lists one more radiation: a new document that repeats the first one
    fake.received.clear()
    fake.radiees = _radiations(NUMERO, NUMERO_2, day="2024-11-14")
    again = hub.poller.poll("sne", force=True)
    assert again.cursor == _today().isoformat()
    assert [_since(r) for r in fake.received] == [again.cursor] * 2, "later pulls resume from the cursor"
    report = hub.run_once().ingested["sne"]
    assert (report.journaled, report.duplicates) == (1, 2)
    assert _types(hub) == ["demande_radiee.v1", "demande_radiee.v1"]
    assert hub.journal.count_events() == 3


def test_an_sne_that_is_down_costs_a_retry_not_the_cursor(hub):
    hub, fake = hub
    fake.fail_next("http-503")
    [failed] = hub.run_once().polled
    assert failed.outcome == "failed" and "503" in failed.error
    state = hub.poller.store.states()["sne"]
    assert (state.cursor, state.failures) == (None, 1)
    assert hub.journal.count_events() == 0
    assert hub.poller.poll("sne", force=True).outcome == "fetched"
    hub.run_once()
    assert hub.journal.count_events() == 2


def test_without_endpoint_nothing_is_pulled(hub_settings):
    with Hub(hub_settings, PluginHost.load(allow=["sne"])) as hub:
        assert not hub.poller and hub.run_once().polled == []
