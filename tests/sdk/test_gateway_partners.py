"""The gateway authenticates a partner (a legal entity), not a connector: what a landlord, a forger and an operator
notice — the entity stamped, forgeries refused whole with the field named and audited, deduplication ids that
no partner can squat, legacy connector keys still working, and per-partner rate limits."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from hub import Connector, PartnerRole
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import create_app
from hub.testing import connector_plugin
from tests.factories import decision, decisions_document, rpls, siren
from tests.sdk.conftest import with_connectors

LEGACY_KEY = "k-bailleurs-legacy"


@pytest.fixture
def backend():
    """The gateway's behaviour does not depend on the backend (the registry's tests run on both)."""
    return "embedded"


@pytest.fixture
def gateway_hub(hub_settings):
    settings = with_connectors(hub_settings, bailleurs={"api_keys": [LEGACY_KEY]})
    settings = settings.model_copy(update={"gateway_rate_per_partner": 0.0})
    hub = Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"]))
    try:
        yield hub
    finally:
        hub.close()


@pytest.fixture
def client(gateway_hub):
    with TestClient(create_app(gateway_hub)) as test_client:
        yield test_client


@pytest.fixture
def landlords(gateway_hub):
    """Two landlords sharing the bailleurs connector, each with its own key: {id: (siren, key)}."""
    found = {}
    for partner_id in ("bailleur-a", "bailleur-b"):
        partner = gateway_hub.partners.add(partner_id, siren=siren(), nom=f"Habitat {partner_id[-1].upper()}",
                                           role="bailleur", connector="bailleurs", communes=["63430"])
        found[partner_id] = (partner.entity.siren, gateway_hub.partners.issue_key(partner_id).key)
    return found


def post(client, document, key):
    return client.post("/v1/inbound/bailleurs", content=json.dumps(document).encode(),
                       headers={"X-Relais-Api-Key": key})


def audit_rows(hub, client):
    client.app.state.gateway.audit.flush()
    return hub.audit.entries(kind="inbound")


def test_the_authenticated_landlords_entity_is_stamped_on_its_decisions(client, gateway_hub, landlords):
    siren_a, key_a = landlords["bailleur-a"]
    document = decisions_document([decision()], bailleur_siren=siren_a)
    document["bailleur"]["nom"] = "A name the payload made up"
    answer = post(client, document, key_a)
    assert answer.status_code == 202, answer.text
    [event_id] = answer.json()["event_ids"]
    [row] = gateway_hub.journal.history(document["decisions"][0]["numero_unique"])
    assert (row["id"], row["entity_siren"], row["entity_nom"]) == (event_id, siren_a, "Habitat A")
    [entry] = audit_rows(gateway_hub, client)
    assert (entry["actor"], entry["outcome"], entry["key_id"]) == ("bailleur-a", "accepted", key_a.split("_")[1])


def test_a_decision_in_another_landlords_name_is_refused_whole_named_and_audited(client, gateway_hub, landlords):
    siren_b, _ = landlords["bailleur-b"]
    _, key_a = landlords["bailleur-a"]
    good, forged = decision(), decision()
    answer = post(client, decisions_document([good, forged], bailleur_siren=siren_b), key_a)
    assert answer.status_code == 403
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"] == "urn:relais:problem:forbidden" and body["journaled"] == 0
    assert {e["field"] for e in body["errors"]} == {"entity.siren"}
    assert siren_b in body["detail"] and "own name" in body["detail"]
    assert gateway_hub.journal.count_events() == 0
    assert gateway_hub.journal.dead_letters(status=None) == []          # a forgery is not kept to be replayed
    [entry] = audit_rows(gateway_hub, client)
    assert (entry["actor"], entry["outcome"]) == ("bailleur-a", "refused") and "entity.siren" in entry["reason"]


def test_a_decision_on_a_dwelling_outside_the_landlords_known_stock_is_refused(client, gateway_hub, landlords):
    siren_a, key_a = landlords["bailleur-a"]
    own = rpls()
    gateway_hub.partners.import_stock("bailleur-a", [own])
    outside = post(client, decisions_document([decision(rpls=own), decision()], bailleur_siren=siren_a), key_a)
    assert outside.status_code == 403
    assert [e["field"] for e in outside.json()["errors"]] == ["rpls"]
    assert gateway_hub.journal.count_events() == 0
    inside = post(client, decisions_document([decision(rpls=own)], bailleur_siren=siren_a), key_a)
    assert inside.status_code == 202 and inside.json()["journaled"] == 1


def test_no_landlord_can_squat_anothers_decision_id(client, gateway_hub, landlords):
    """The issue's scenario: B's real CAL-VICTIM-001 used to be dropped as a duplicate of A's forgery."""
    siren_a, key_a = landlords["bailleur-a"]
    siren_b, key_b = landlords["bailleur-b"]
    squatted = post(client, decisions_document([decision(id="CAL-VICTIM-001")], bailleur_siren=siren_b), key_a)
    assert squatted.status_code == 403
    # even under its own name, A's use of the id does not occupy it for B
    mine = post(client, decisions_document([decision(id="CAL-VICTIM-001")], bailleur_siren=siren_a), key_a)
    real = post(client, decisions_document([decision(id="CAL-VICTIM-001")], bailleur_siren=siren_b), key_b)
    assert (mine.status_code, real.status_code) == (202, 202)
    assert real.json()["journaled"] == 1 and real.json()["duplicates"] == 0
    again = post(client, decisions_document([decision(id="CAL-VICTIM-002")], bailleur_siren=siren_b), key_b)
    resent = client.post("/v1/inbound/bailleurs", content=json.dumps(
        json.loads(again.request.content)).encode(), headers={"X-Relais-Api-Key": key_b})
    assert resent.json()["duplicates"] == 1                               # a partner's own resend is still absorbed


def test_a_partner_key_is_refused_on_another_connectors_route(client, gateway_hub, landlords):
    _, key_a = landlords["bailleur-a"]
    gateway_hub.partners.add("siao-63", siren=siren(), nom="SIAO 63", role="siao", connector="habisoft")
    key_siao = gateway_hub.partners.issue_key("siao-63").key
    answer = post(client, decisions_document([decision()]), key_siao)
    assert answer.status_code == 403
    assert "partner 'siao-63', which speaks through connector 'habisoft'" in answer.json()["detail"]


def test_a_revoked_or_unknown_key_gets_401_and_the_attempt_is_audited(client, gateway_hub, landlords):
    siren_a, key_a = landlords["bailleur-a"]
    gateway_hub.partners.revoke("bailleur-a")
    assert post(client, decisions_document([decision()], bailleur_siren=siren_a), key_a).status_code == 401
    assert post(client, decisions_document([decision()]), "rk_000000000000_" + "x" * 43).status_code == 401
    rows = audit_rows(gateway_hub, client)
    assert [(r["actor"], r["outcome"], r["key_id"]) for r in rows] == [
        ("unauthenticated", "refused", key_a.split("_")[1]), ("unauthenticated", "refused", "000000000000")]


def test_a_type_outside_the_partners_emit_scope_is_refused(client, gateway_hub):
    gateway_hub.partners.add("bailleur-c", siren=siren(), nom="Habitat C", role="bailleur", connector="bailleurs",
                             emits=["decision_cal.v2"])
    key = gateway_hub.partners.issue_key("bailleur-c").key
    partner = gateway_hub.partners.get("bailleur-c")
    answer = post(client, decisions_document([decision()], bailleur_siren=partner.entity.siren), key)
    assert answer.status_code == 403 and [e["field"] for e in answer.json()["errors"]] == ["type"]


def test_legacy_connector_keys_keep_working_as_partner_connector_name(client, gateway_hub):
    """The migration path: a journal and configuration of the previous release go on unchanged."""
    answer = post(client, decisions_document([decision()]), LEGACY_KEY)
    assert answer.status_code == 202
    [entry] = audit_rows(gateway_hub, client)
    assert entry["actor"] == "connector:bailleurs" and entry["key_id"].startswith("cfg-")
    assert LEGACY_KEY not in json.dumps(entry, default=str)


def test_a_legacy_key_with_a_configured_entity_speaks_only_for_it(hub_settings):
    entity = {"siren": siren(), "nom": "Habitat Configuré"}
    settings = with_connectors(hub_settings, bailleurs={"api_keys": [LEGACY_KEY], "entity": entity})
    with Hub(settings, PluginHost.load(allow=["bailleurs"])) as hub, TestClient(create_app(hub)) as client:
        assert post(client, decisions_document([decision()]), LEGACY_KEY).status_code == 403
        assert post(client, decisions_document([decision()], bailleur_siren=entity["siren"]),
                    LEGACY_KEY).status_code == 202


def test_one_partners_runaway_client_is_limited_without_starving_the_others(hub_settings):
    settings = with_connectors(hub_settings, bailleurs={})
    settings = settings.model_copy(update={"gateway_rate_per_partner": 0.5, "gateway_burst_per_partner": 2})
    with Hub(settings, PluginHost.load(allow=["bailleurs"])) as hub, TestClient(create_app(hub)) as client:
        client.app.state.gateway.rates.clock = lambda: 1000.0   # time stands still: no token comes back
        keys = {}
        for partner_id in ("bailleur-a", "bailleur-b"):
            partner = hub.partners.add(partner_id, siren=siren(), nom="H", role="bailleur", connector="bailleurs")
            keys[partner_id] = (partner.entity.siren, hub.partners.issue_key(partner_id).key)
        siren_a, key_a = keys["bailleur-a"]
        statuses = [post(client, decisions_document([decision()], bailleur_siren=siren_a), key_a)
                    for _ in range(3)]
        assert [a.status_code for a in statuses] == [202, 202, 429]
        assert int(statuses[-1].headers["Retry-After"]) >= 1
        assert "gateway_rate_per_partner" in statuses[-1].json()["detail"]
        siren_b, key_b = keys["bailleur-b"]
        assert post(client, decisions_document([decision()], bailleur_siren=siren_b), key_b).status_code == 202


class Reservataire(Connector):
    """A réservataire holding reservations in one commune only."""

    name = "reservataire"
    role = PartnerRole.RESERVATAIRE
    subscriptions = ("decision_cal.*",)


def test_each_refusal_of_the_access_policy_is_audited_once(hub_settings):
    settings = with_connectors(hub_settings, bailleurs={"api_keys": [LEGACY_KEY]},
                               reservataire={"communes": ["63430"]})
    host = PluginHost.load(allow=["bailleurs"])
    host.register(connector_plugin(Reservataire), "reservataire")
    with Hub(settings, host) as hub, TestClient(create_app(hub)) as client:
        inside, outside = decision(commune="63430"), decision(commune="63300")
        assert post(client, decisions_document([inside, outside]), LEGACY_KEY).status_code == 202
        hub.audit_buffer.flush()
        [denied] = hub.audit.entries(kind="policy")
        assert (denied["actor"], denied["outcome"], denied["target"]) == (
            "connector:reservataire", "denied", outside["numero_unique"])
        assert "holds no reservation in the event's communes (63300)" in denied["reason"]
        assert hub.journal.delivery_counts("reservataire") == {("reservataire", "denied"): 1,
                                                               ("reservataire", "pending"): 1}


def test_a_partners_rejected_record_retried_by_the_operator_is_journaled_as_that_partners(client, gateway_hub,
                                                                                         landlords):
    from hub.core.deadletters import DeadLetterOps
    siren_a, key_a = landlords["bailleur-a"]
    broken = decision(decision="attribution_rang")                     # no rang: rejected, kept
    answer = post(client, decisions_document([decision(), broken], bailleur_siren=siren_a), key_a)
    assert answer.status_code == 400
    [dead] = gateway_hub.journal.dead_letters()
    fixed = decisions_document([dict(broken, rang=2)], bailleur_siren=siren_a)
    fixed["bailleur"]["nom"] = "Whatever the file says"
    outcome = DeadLetterOps(gateway_hub).retry([dead], json.dumps(fixed).encode())
    assert outcome.retried == [dead["id"]]
    [row] = gateway_hub.journal.history(broken["numero_unique"])
    assert (row["entity_siren"], row["entity_nom"]) == (siren_a, "Habitat A")
    stolen = decisions_document([dict(broken, rang=2)])                # another SIREN: refused on retry too
    refused = DeadLetterOps(gateway_hub).retry([dict(dead, status="open")], json.dumps(stolen).encode())
    assert refused.retried == [] and "entity.siren" in refused.still_failing[0][1]
