"""The AsyncAPI 3.0 description of the hub's bus: one channel per event type on the ``relais.events`` topic exchange.

Why: an integrator's tooling (code generators, documentation, validators) reads AsyncAPI; the document states that
the routing key *is* the event type (``decision_cal.v1``) and that the payload is the envelope of that type, whose
schemas are embedded under ``components.schemas`` so the document stands alone.
"""

from __future__ import annotations

import inspect
from typing import Any

from pydantic.json_schema import models_json_schema

from contracts.registry import REGISTRY

__all__ = ["asyncapi_document", "EXCHANGE", "ASYNCAPI_VERSION", "AMQP_BINDING_VERSION"]

ASYNCAPI_VERSION = "3.0.0"
AMQP_BINDING_VERSION = "0.3.0"
#: The topic exchange every event is published on; the routing key is the event type.
EXCHANGE = "relais.events"


def _summary(model: type) -> str:
    doc = inspect.getdoc(model) or model.__name__
    return doc.strip().split("\n\n")[0].replace("\n", " ")


def asyncapi_document() -> dict[str, Any]:
    """Build the AsyncAPI 3.0 document for every registered event type."""
    from contracts import CONTRACTS_VERSION

    event_types = REGISTRY.types()
    envelopes = [(REGISTRY.envelope_model(t), "validation") for t in event_types]
    refs, top = models_json_schema(envelopes, ref_template="#/components/schemas/{model}")
    schemas: dict[str, Any] = top.get("$defs", {})

    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for event_type, key in zip(event_types, envelopes):
        model = REGISTRY.model_for(event_type)
        schema_ref = refs[key]["$ref"]
        schema_name = schema_ref.rsplit("/", 1)[1]
        envelope_schema = schemas[schema_name]
        envelope_schema["properties"]["type"] = {**envelope_schema["properties"]["type"], "const": event_type}
        summary = _summary(model)
        messages[event_type] = {
            "name": event_type,
            "title": model.__name__,
            "summary": summary,
            "contentType": "application/json",
            "payload": {"$ref": schema_ref},
            "bindings": {"amqp": {"messageType": event_type, "bindingVersion": AMQP_BINDING_VERSION}},
        }
        channels[event_type] = {
            "address": event_type,
            "title": model.__name__,
            "summary": summary,
            "messages": {event_type: {"$ref": f"#/components/messages/{event_type}"}},
            "bindings": {"amqp": {
                "is": "routingKey",
                "exchange": {"name": EXCHANGE, "type": "topic", "durable": True, "autoDelete": False, "vhost": "/"},
                "bindingVersion": AMQP_BINDING_VERSION,
            }},
        }
        channel_ref = {"$ref": f"#/channels/{event_type}"}
        message_ref = [{"$ref": f"#/channels/{event_type}/messages/{event_type}"}]
        operations[f"send.{event_type}"] = {
            "action": "send", "channel": channel_ref, "messages": message_ref,
            "summary": f"The hub publishes {event_type} with routing key {event_type} once journaled.",
        }
        operations[f"receive.{event_type}"] = {
            "action": "receive", "channel": channel_ref, "messages": message_ref,
            "summary": f"Subscribers receive {event_type} on their queue bound to routing key {event_type}.",
        }
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Relais events",
            "version": CONTRACTS_VERSION,
            "description": ("Events of the shared management of social housing demand, routed by the Relais hub "
                            f"on the topic exchange {EXCHANGE!r}; the routing key is the event type with its "
                            "version, and every message is a CloudEvents-aligned envelope."),
            "license": {"name": "EUPL-1.2"},
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": {"messages": messages, "schemas": schemas},
    }
