"""The SIAO's and the COMED's formats over the gateway: a resend is absorbed, the same id with other content is a 409
kept in the dead letters, an oversized body is a 413 with nothing kept, a foreign media type a 415, a body of the
wrong type a 400 naming the place — for both connectors alike."""

from __future__ import annotations

import copy
import json

import pytest
from fastapi.testclient import TestClient

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway.app import create_app
from tests.plugins.partners_support import THIERS, with_connectors

KEY = "k-partner-2026"
AUTH = {"X-Relais-Api-Key": KEY, "Content-Type": "application/json"}

SIAO_DOC = {"format": "relais.siao.labels/1", "siao": {"siren": "130000003", "nom": "SIAO de test"}, "records": [
    {"id": "R1", "numero_unique": "0630323000201G6301", "communes_souhaitees": [THIERS],
     "demande_siao": {"reference": "SIAO63-1", "date_demande": "2026-10-02"},
     "label": {"fondement": "siao", "date_decision": "2026-11-25"}}]}
DALO_DOC = {"format": "relais.dalo.decisions/1", "comed": {"siren": "130000011", "nom": "COMED de test"},
            "decisions": [{"id": "D1", "numero_unique": "0630323000201G6301", "numero_recours": "063-2026-1",
                           "date_depot_recours": "2026-09-01", "date_decision": "2026-11-26",
                           "decision": "prioritaire_et_urgent"}]}
#: connector → (a valid document, how to change its first record's content)
CASES = {"siao": (SIAO_DOC, lambda d: d["records"][0]["label"].update(date_decision="2026-11-24")),
         "dalo": (DALO_DOC, lambda d: d["decisions"][0].update(decision="rejet"))}


@pytest.fixture(params=sorted(CASES))
def connector(request) -> str:
    return request.param


@pytest.fixture
def gateway_hub(hub_settings, connector):
    settings = with_connectors(hub_settings, **{connector: {"api_keys": [KEY], "max_message_bytes": 20_000}})
    hub = Hub(settings, PluginHost.load(allow=[connector]))
    try:
        yield hub
    finally:
        hub.close()


@pytest.fixture
def client(gateway_hub):
    with TestClient(create_app(gateway_hub)) as test_client:
        yield test_client


def test_a_resend_is_absorbed_and_a_changed_one_is_a_409_kept_in_the_dead_letters(client, gateway_hub, connector):
    document, change = CASES[connector]
    url = f"/v1/inbound/{connector}"
    first = client.post(url, content=json.dumps(document), headers=AUTH)
    assert first.status_code == 202, first.text
    journaled = gateway_hub.journal.count_events()
    again = client.post(url, content=json.dumps(document), headers=AUTH)
    assert again.status_code == 202 and again.json()["duplicates"] == first.json()["journaled"]
    changed = copy.deepcopy(document)
    change(changed)
    conflict = client.post(url, content=json.dumps(changed), headers=AUTH)
    assert conflict.status_code == 409, conflict.text
    assert gateway_hub.journal.count_events() == journaled
    assert [d["connector"] for d in gateway_hub.journal.dead_letters()] == [connector]


def test_an_oversized_body_is_a_413_and_nothing_is_kept(client, gateway_hub, connector):
    big = json.dumps({**CASES[connector][0], "correlation_id": "x" * 30_000}).encode()
    answer = client.post(f"/v1/inbound/{connector}", content=big, headers=AUTH)
    assert answer.status_code == 413
    assert gateway_hub.journal.dead_letters() == [] and gateway_hub.journal.count_events() == 0


def test_a_foreign_media_type_is_a_415(client, connector):
    answer = client.post(f"/v1/inbound/{connector}", content=b"<xml/>",
                         headers={**AUTH, "Content-Type": "application/xml"})
    assert answer.status_code == 415


@pytest.mark.parametrize("body, field", [(b"42", "$"), (b'{"format": 7}', "format"), (b'{"format": ', None)])
def test_a_body_of_the_wrong_type_is_a_400_naming_the_place(client, gateway_hub, connector, body, field):
    answer = client.post(f"/v1/inbound/{connector}", content=body, headers=AUTH)
    assert answer.status_code == 400, answer.text
    assert answer.json()["errors"][0].get("field") == field
    assert gateway_hub.journal.count_events() == 0
    assert len(gateway_hub.journal.dead_letters()) == 1          # kept, to be fixed and replayed
