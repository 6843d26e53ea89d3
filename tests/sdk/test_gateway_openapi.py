"""The gateway's contract: a complete OpenAPI document (request bodies, every answer with its schema, security),
RFC 9457 problems for every error, 415 for a foreign media type, offline /docs — and a fuzzer driven by the live
``/openapi.json`` (schemathesis) that finds no answer outside it."""

from __future__ import annotations

import json

import jsonschema
import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import (content_type_conformance, not_a_server_error, response_headers_conformance,
                                 response_schema_conformance, status_code_conformance)

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.gateway import create_app
from hub.gateway.problems import PROBLEM_JSON
from tests.factories import decision, decisions_document
from tests.sdk.conftest import commune_settings, with_connectors

KEY, HABISOFT_KEY = "k-bailleurs-openapi", "k-habisoft-openapi"
AUTH = {"X-Relais-Api-Key": KEY}
ANSWERS = {"202", "400", "401", "403", "404", "408", "409", "413", "415", "429", "503"}


def embedded_hub(tmp_path):
    from hub.settings import HubSettings
    settings = HubSettings(home=tmp_path / "home", seed_examples=False, batch_wait=0.02)
    settings = with_connectors(settings, bailleurs={"api_keys": [KEY], "max_message_bytes": 200_000},
                               habisoft={"api_keys": [HABISOFT_KEY]})
    return Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft"]))


@pytest.fixture
def hub(tmp_path):
    hub = embedded_hub(tmp_path)
    try:
        yield hub
    finally:
        hub.close()


@pytest.fixture
def client(hub):
    with TestClient(create_app(hub)) as test_client:
        yield test_client


def test_openapi_lists_each_inbound_route_with_its_body_answers_and_security(client):
    document = client.get("/openapi.json").json()
    operation = document["paths"]["/v1/inbound/bailleurs"]["post"]
    assert set(operation["responses"]) == ANSWERS
    for status in ANSWERS - {"202"}:
        assert operation["responses"][status]["content"] == {
            PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    assert operation["responses"]["202"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/InboundAccepted"}
    assert operation["security"] == [{"ApiKey": []}, {"Bearer": []}]
    assert document["components"]["securitySchemes"]["ApiKey"] == {
        "type": "apiKey", "in": "header", "name": "X-Relais-Api-Key",
        "description": "A partner key issued by `relais partners add` (rk_<key id>_<secret>), or one of "
                       "connectors.NAME.api_keys (legacy)."}
    body = operation["requestBody"]["content"]["application/json"]["schema"]
    assert {"$ref": "#/components/schemas/bailleurs.decisions_cal_1"} in body["oneOf"]
    decisions = document["components"]["schemas"]["bailleurs.decisions_cal_1"]
    assert decisions["properties"]["decisions"]["items"] == {"$ref": "#/components/schemas/bailleurs.DecisionRecord"}
    assert "bailleurs.LegalEntity" in document["components"]["schemas"]
    # the landlords' CSV batch is bytes to OpenAPI: its columns are in the connector's README
    assert operation["requestBody"]["content"]["text/csv"]["schema"] == {"type": "string", "format": "binary"}
    assert "/v1/inbound/{connector}" not in document["paths"]
    xml = document["paths"]["/v1/inbound/habisoft"]["post"]["requestBody"]["content"]
    assert set(xml) == {"application/xml", "text/xml"}


def test_the_published_request_body_schema_accepts_a_real_document_and_refuses_a_broken_one(client):
    document = client.get("/openapi.json").json()
    body = document["paths"]["/v1/inbound/bailleurs"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    resolvable = {**body, "components": document["components"]}
    jsonschema.validate(decisions_document([decision()]), resolvable)
    broken = decisions_document([decision()])
    del broken["decisions"][0]["id"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(broken, resolvable)
    decisions_format = {"$ref": "#/components/schemas/bailleurs.decisions_cal_1",
                        "components": document["components"]}
    with pytest.raises(jsonschema.ValidationError, match="'id' is a required property"):
        jsonschema.validate(broken, decisions_format)


def assert_problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    body = answer.json()
    assert body["status"] == status and body["title"] and body["detail"]
    assert body["type"].startswith("urn:relais:problem:")
    return body


def test_every_error_is_a_problem_with_field_paths_when_the_message_was_rejected(client):
    rejected = client.post("/v1/inbound/bailleurs", headers=AUTH,
                           content=json.dumps(decisions_document([decision(), decision(decision="attribution_rang", rang=99)])))
    body = assert_problem(rejected, 400)
    assert body["journaled"] == 1
    assert [e["field"] for e in body["errors"]] == ["decisions[1].rang"]
    assert body["errors"][0]["dead_letter_id"] == body["rejected"][0]["dead_letter_id"]
    assert assert_problem(client.post("/v1/inbound/bailleurs", content=b"{}"), 401)["type"] == \
        "urn:relais:problem:unauthorized"
    assert_problem(client.post("/v1/inbound/nobody", headers=AUTH, content=b"{}"), 404)
    assert_problem(client.post("/v1/inbound/bailleurs", headers=AUTH, content=b"x" * 200_001), 413)


def test_a_key_of_another_connector_gets_403_not_401(client, hub):
    answer = client.post("/v1/inbound/bailleurs", headers={"X-Relais-Api-Key": HABISOFT_KEY},
                         content=json.dumps(decisions_document([decision()])))
    assert "another connector" in assert_problem(answer, 403)["detail"]
    assert hub.journal.count_events() == 0


@pytest.mark.parametrize("content_type", ["application/xml", "text/plain", "multipart/form-data; boundary=x"])
def test_a_media_type_the_connector_does_not_take_gets_415_and_nothing_is_kept(client, hub, content_type):
    answer = client.post("/v1/inbound/bailleurs", headers={**AUTH, "Content-Type": content_type},
                         content=json.dumps(decisions_document([decision()])))
    assert "takes application/json or text/csv" in assert_problem(answer, 415)["detail"]
    assert hub.journal.count_events() == 0 and hub.journal.dead_letters() == []


def test_json_with_a_charset_is_its_own_media_type(client):
    answer = client.post("/v1/inbound/bailleurs", headers={**AUTH, "Content-Type": "application/json; charset=utf-8"},
                         content=json.dumps(decisions_document([decision()])))
    assert answer.status_code == 202, answer.text


def test_a_journal_outage_is_a_503_problem_with_retry_after(client, monkeypatch):
    def down(*_a, **_k):
        raise ConnectionError("journal down")
    monkeypatch.setattr(client.app.state.gateway.committer, "submit", down)
    answer = client.post("/v1/inbound/bailleurs", headers=AUTH, content=json.dumps(decisions_document([decision()])))
    assert assert_problem(answer, 503)["error_type"] == "ConnectionError"
    assert answer.headers["Retry-After"] == "5"


def test_docs_are_served_from_the_installed_package_not_a_cdn(client):
    page = client.get("/docs")
    assert page.status_code == 200
    assert "/docs/assets/swagger-ui-bundle.js" in page.text and "/docs/assets/swagger-ui.css" in page.text
    assert "cdn" not in page.text.lower() and "https://" not in page.text.replace("https://fastapi", "")
    script = client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.status_code == 200 and len(script.content) > 100_000
    assert client.get("/docs/assets/swagger-ui.css").status_code == 200


# --- fuzzing from the live document ----------------------------------------------------------------------------
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]


@pytest.fixture
def fuzzed_hub(tmp_path, commune_csv_installed):
    """The bundled connectors and the example third-party one (its plugin routes too), each with a key."""
    from hub.settings import HubSettings
    settings = with_connectors(HubSettings(home=tmp_path / "home", seed_examples=False, batch_wait=0.02),
                               bailleurs={"api_keys": [KEY]}, habisoft={"api_keys": [HABISOFT_KEY]},
                               commune_csv=commune_settings(api_keys=[KEY]))
    hub = Hub(settings, PluginHost.load(allow=["bailleurs", "habisoft", "commune_csv"]))
    try:
        yield hub
    finally:
        hub.close()


@pytest.mark.slow
def test_the_gateway_answers_only_what_its_openapi_document_says(fuzzed_hub):
    """With and without a key: every answer, whatever the input, is one the live document lists, with its schema.

    (schemathesis's pytest fixture integration does not run on this pytest; its strategies do, driven here.)"""
    app = create_app(fuzzed_hub)
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert {op.path for op in operations} >= {"/v1/inbound/bailleurs", "/v1/inbound/habisoft",
                                              "/v1/inbound/commune_csv", "/v1/plugins/commune_csv/check", "/healthz"}
    try:
        for operation in operations:
            @given(case=operation.as_strategy())
            @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def answers_as_documented(case):
                case.call_and_validate(headers=AUTH, checks=CHECKS)
                case.call_and_validate(checks=CHECKS)

            answers_as_documented()
    finally:
        app.state.gateway.close()


def test_a_plugin_route_with_bad_parameters_answers_a_documented_422_problem(hub):
    app = create_app(hub)

    @app.get("/v1/plugins/demo/echo")
    def echo(n: int) -> dict:
        return {"n": n}

    with TestClient(app) as client:
        document = client.get("/openapi.json").json()
        assert document["paths"]["/v1/plugins/demo/echo"]["get"]["responses"]["422"]["content"] == {
            PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}}
        body = assert_problem(client.get("/v1/plugins/demo/echo", params={"n": "abc"}), 422)
    assert [e["field"] for e in body["errors"]] == ["query.n"]
