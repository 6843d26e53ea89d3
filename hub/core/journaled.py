"""Reading an event back from the journal: its body was written by ``Envelope.model_dump_json`` after the event
passed every contract check at ingest, so it is validated straight from its JSON text.

Why not ``REGISTRY.parse``: that goes through ``json.loads`` and then validates the Python objects, for the sake of
the upcasters of older versions; pydantic's own JSON validation is one pass and about twice as fast, and every
subscriber reads every event it receives (py-spy: a tenth of the hub's CPU with two subscribers). A body of an
older version (an upcaster registered for its type) still goes through the registry, which upcasts it.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from contracts import REGISTRY, Envelope
from contracts.registry import UnknownEventType

__all__ = ["parse_journaled"]


def parse_journaled(body: str | bytes, event_type: str | None = None) -> Envelope[Any]:
    """The journaled event of type ``event_type`` (the journal's ``type`` column) from its ``body``.

    A type with no current model (an older version) or a body that does not validate as that type goes through
    ``REGISTRY.parse``, which upcasts, or raises what it raises (``pydantic.ValidationError``,
    ``UnknownEventType``) with its own explanation."""
    if event_type is not None:
        try:
            return REGISTRY.envelope_model(event_type).model_validate_json(body)
        except (UnknownEventType, ValidationError):   # an older version to upcast, or a body to explain: the registry
            pass
    return REGISTRY.parse(body)
