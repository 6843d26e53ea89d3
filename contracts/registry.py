"""The registry of event types: type name → payload model, and upcasters from old versions.

Why a registry: the journal, the bus and connectors handle events whose type is only known at run time; the registry
is the one place that turns ``{"type": "decision_cal.v1", "data": {...}}`` into a validated, typed envelope, and that
upgrades an event written under an older contract version (see the versioning policy in ``contracts/README.md``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from contracts.base import EventData
from contracts.envelope import Envelope

__all__ = ["EventRegistry", "REGISTRY", "register_event", "parse_event", "UnknownEventType"]

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class UnknownEventType(ValueError):
    """The envelope names a type no contract defines."""

    def __init__(self, event_type: str, known: list[str]):
        super().__init__(
            f"type: unknown event type {event_type!r}; known types: {', '.join(known) or 'none'}"
        )
        self.event_type = event_type


class EventRegistry:
    """Maps event type names to payload models and chains upcasters from old versions to current ones."""

    def __init__(self) -> None:
        self._models: dict[str, type[EventData]] = {}
        self._upcasters: dict[str, tuple[str, Upcaster]] = {}

    def register(self, model: type[EventData]) -> type[EventData]:
        """Register ``model`` under its ``event_type``; usable as a class decorator."""
        event_type = model.event_type
        existing = self._models.get(event_type)
        if existing is not None and existing is not model:
            raise ValueError(f"event type {event_type!r} registered twice: {existing.__qualname__} and {model.__qualname__}")
        self._models[event_type] = model
        return model

    def register_upcaster(self, from_type: str, to_type: str, upcast: Upcaster) -> None:
        """Declare how a payload of ``from_type`` becomes a payload of ``to_type`` (a breaking change's bridge)."""
        self._upcasters[from_type] = (to_type, upcast)

    def types(self) -> list[str]:
        """Every registered (current) event type, sorted."""
        return sorted(self._models)

    def models(self) -> Mapping[str, type[EventData]]:
        return dict(self._models)

    def model_for(self, event_type: str) -> type[EventData]:
        try:
            return self._models[event_type]
        except KeyError:
            raise UnknownEventType(event_type, self.types()) from None

    def envelope_model(self, event_type: str) -> type[Envelope[Any]]:
        return _parametrize(self.model_for(event_type))

    def current_type(self, event_type: str) -> str | None:
        """The registered type an event of ``event_type`` is read as (itself, or the end of its upcaster chain);
        None when it is neither registered nor upcastable."""
        seen = set()
        while event_type not in self._models:
            if event_type in seen or event_type not in self._upcasters:
                return None
            seen.add(event_type)
            event_type = self._upcasters[event_type][0]
        return event_type

    def upcast(self, event_type: str, data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Follow the upcaster chain until a registered current type is reached."""
        seen = set()
        while event_type not in self._models and event_type in self._upcasters:
            if event_type in seen:
                raise ValueError(f"upcaster cycle at {event_type!r}")
            seen.add(event_type)
            event_type, upcast = self._upcasters[event_type]
            data = upcast(data)
        return event_type, data

    def parse(self, raw: bytes | str | Mapping[str, Any]) -> Envelope[Any]:
        """Validate a serialised envelope (JSON text or mapping), upcasting old versions first.

        Raises ``pydantic.ValidationError`` (field paths included) or :class:`UnknownEventType`.
        """
        obj = json.loads(raw) if isinstance(raw, (bytes, str)) else dict(raw)
        if not isinstance(obj, dict):
            raise ValueError("envelope: expected a JSON object")
        event_type = obj.get("type")
        if not isinstance(event_type, str):
            raise UnknownEventType(repr(event_type), self.types())
        data = obj.get("data")
        if isinstance(data, dict):
            new_type, new_data = self.upcast(event_type, data)
            if new_type != event_type:
                obj = {**obj, "type": new_type, "data": new_data}
                event_type = new_type
        return self.envelope_model(event_type).model_validate(obj)

    def build(self, data: EventData, **attributes: Any) -> Envelope[Any]:
        """Wrap a payload in an envelope of the right type, taking the subject from the payload."""
        attributes.setdefault("subject", data.subject())
        return _parametrize(type(data))(type=data.event_type, data=data, **attributes)


@lru_cache(maxsize=None)
def _parametrize(model: type[EventData]) -> type[Envelope[Any]]:
    return Envelope[model]  # type: ignore[valid-type]


REGISTRY = EventRegistry()
register_event = REGISTRY.register
parse_event = REGISTRY.parse
