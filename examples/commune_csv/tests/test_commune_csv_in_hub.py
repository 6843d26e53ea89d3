"""commune_csv in a whole in-process hub, found through its entry point as the hub finds it in production."""

from __future__ import annotations

import json

import pytest

CONNECTOR = "commune_csv"


@pytest.fixture
def hub_with_commune(relais_hub, commune_settings):
    def make(**settings):
        return relais_hub(CONNECTOR, connectors={CONNECTOR: {**commune_settings, **settings}})
    return make


def test_is_found_through_its_entry_point_as_a_reservataire(hub_with_commune):
    relais = hub_with_commune()
    assert relais.connector(CONNECTOR).role.value == "reservataire"


def test_receives_decisions_on_its_communes_and_nothing_else(hub_with_commune, a_decision):
    relais = hub_with_commune()
    own, other = a_decision("63113"), a_decision("63430", rpls="6300000009")
    relais.emit(own, other)
    relais.run_once()
    assert relais.delivery_status(CONNECTOR, own) == "delivered"
    assert relais.delivery_status(CONNECTOR, other) == "denied"
    assert [json.loads(p.read_bytes())["id"] for p in relais.outbox(CONNECTOR)] == [own.id]


def test_a_csv_pushed_to_the_gateway_is_journaled_before_the_202(hub_with_commune, fixtures):
    relais = hub_with_commune(api_keys=["k-commune-test"])
    with relais.gateway_client() as client:
        answer = client.post(f"/v1/inbound/{CONNECTOR}", content=(fixtures / "designations.csv").read_bytes(),
                             headers={"X-Relais-Api-Key": "k-commune-test", "Content-Type": "text/csv"})
    assert answer.status_code == 202, answer.text
    assert answer.json()["journaled"] == 2
    assert all(relais.journaled(event_id) for event_id in answer.json()["event_ids"])


def test_a_rejected_row_is_answered_400_with_its_line_and_kept(hub_with_commune, fixtures):
    relais = hub_with_commune(api_keys=["k-commune-test"])
    with relais.gateway_client() as client:
        answer = client.post(f"/v1/inbound/{CONNECTOR}", content=(fixtures / "designations_invalid.csv").read_bytes(),
                             headers={"Authorization": "Bearer k-commune-test"})
    assert answer.status_code == 400
    assert [r["problems"][0].get("line") for r in answer.json()["rejected"]] == [3, 4, 5]
    assert len(relais.dead_letters(CONNECTOR, direction="inbound")) == 3


def test_delivers_to_the_communes_tool_with_its_token(hub_with_commune, fake_partner, a_decision):
    relais = hub_with_commune(endpoint=fake_partner.url, endpoint_token="tok-exempleville")
    event = a_decision()
    relais.emit(event)
    relais.run_once()
    [request] = fake_partner.requests
    assert request.header("Authorization") == "Bearer tok-exempleville"
    assert request.header("Idempotency-Key") == event.id
    assert request.json()["id"] == event.id


def test_a_refusal_by_the_communes_tool_is_dead_lettered_at_once(hub_with_commune, fake_partner, a_decision):
    fake_partner.respond(422, '{"error": "logement inconnu"}')
    relais = hub_with_commune(endpoint=fake_partner.url)
    event = a_decision()
    relais.emit(event)
    relais.run_once()
    assert relais.delivery_status(CONNECTOR, event) == "dead"
    assert len(fake_partner.requests) == 1
    [dead] = relais.dead_letters(CONNECTOR, direction="outbound")
    assert "422" in dead["reason"]
