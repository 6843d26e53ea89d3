"""Structure of the exported AsyncAPI 3.0 document: required fields, one channel per event type addressed by its
routing key on the relais.events exchange, send/receive operations, and every $ref resolving."""

from __future__ import annotations

import json
import re
from typing import Any

import jsonschema
import pytest

from contracts import REGISTRY
from contracts.asyncapi import EXCHANGE, asyncapi_document
from contracts.export import ASYNCAPI_FILENAME, SNAPSHOT_DIR

_KEY = re.compile(r"^[a-zA-Z0-9.\-_]+$")  # AsyncAPI 3 component and map key pattern


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document()


def _resolve(document: dict[str, Any], ref: str) -> Any:
    assert ref.startswith("#/"), f"external $ref {ref}"
    node: Any = document
    for part in ref[2:].split("/"):
        part = part.replace("~1", "/").replace("~0", "~")
        assert isinstance(node, dict) and part in node, f"unresolved $ref {ref}"
        node = node[part]
    return node


def _refs(node: Any):
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref":
                yield value
            else:
                yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def test_required_top_level_fields(document):
    assert document["asyncapi"] == "3.0.0"
    assert document["info"]["title"] and re.fullmatch(r"\d+\.\d+\.\d+", document["info"]["version"])
    assert set(document) <= {"asyncapi", "id", "info", "servers", "defaultContentType", "channels", "operations",
                             "components"}


def test_one_channel_per_event_type_addressed_by_routing_key(document):
    channels = document["channels"]
    assert sorted(channels) == REGISTRY.types()
    for event_type, channel in channels.items():
        assert _KEY.match(event_type)
        assert channel["address"] == event_type
        binding = channel["bindings"]["amqp"]
        assert binding["is"] == "routingKey"
        assert binding["exchange"] == {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False,
                                       "vhost": "/"}
        assert channel["messages"], event_type
        for message in channel["messages"].values():
            resolved = _resolve(document, message["$ref"])
            assert "payload" in resolved


def test_operations_send_and_receive_on_each_channel(document):
    actions: dict[str, set[str]] = {}
    for operation_id, operation in document["operations"].items():
        assert _KEY.match(operation_id)
        assert operation["action"] in ("send", "receive")
        channel_ref = operation["channel"]["$ref"]
        assert channel_ref.startswith("#/channels/")
        channel = _resolve(document, channel_ref)
        for message in operation.get("messages", []):
            # AsyncAPI 3: an operation's messages must be messages of its channel
            assert message["$ref"].startswith(channel_ref + "/messages/")
            _resolve(document, message["$ref"])
        actions.setdefault(channel["address"], set()).add(operation["action"])
    assert actions == {t: {"send", "receive"} for t in REGISTRY.types()}


def test_components_messages_have_payload_schemas(document):
    messages = document["components"]["messages"]
    schemas = document["components"]["schemas"]
    assert all(_KEY.match(name) for name in list(messages) + list(schemas))
    for event_type, message in messages.items():
        payload = _resolve(document, message["payload"]["$ref"])
        assert payload["type"] == "object"
        assert payload["properties"]["type"]["const"] == event_type
        assert {"id", "type", "source", "entity", "data", "specversion"} <= set(payload["properties"])
        jsonschema.Draft202012Validator.check_schema(payload)


def test_every_ref_resolves(document):
    refs = list(_refs(document))
    assert refs
    for ref in refs:
        _resolve(document, ref)


def test_payload_schema_validates_a_real_envelope(document):
    from contracts import LegalEntity
    from tests.contracts.contracts_factories import exemple

    payload = exemple("decision_cal.v1")
    envelope = REGISTRY.build(payload, source="bailleurs", entity=LegalEntity(siren="216304303", nom="TDM"))
    schema = {**document["components"]["messages"]["decision_cal.v1"]["payload"],
              "components": document["components"]}
    jsonschema.Draft202012Validator(schema).validate(json.loads(envelope.model_dump_json()))


def test_committed_document_is_the_generated_one(document):
    committed = json.loads((SNAPSHOT_DIR / ASYNCAPI_FILENAME).read_text(encoding="utf-8"))
    assert committed == json.loads(json.dumps(document))
