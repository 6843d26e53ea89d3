"""The event envelope: what every message crossing the hub looks like.

Attribute names follow CloudEvents 1.0 (``specversion``, ``id``, ``source``, ``type``, ``subject``, ``time``,
``datacontenttype``, ``dataschema``) so that integrators recognise them; Relais adds a few extensions, in CloudEvents'
lowercase style: ``entity`` (the legal entity answerable for the change, which the law requires us to trace),
``sourcemessageid`` (the partner's own message id, used to absorb redeliveries), ``correlationid`` and
``causationid`` (to follow a demand's processing across partners).

The envelope is generic over its payload: ``Envelope[DecisionCal]`` is the typed form of one event type. Parsing an
envelope whose type is only known at run time goes through :mod:`contracts.registry`.
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.base import EventData, LegalEntity

__all__ = ["Envelope", "EVENT_TYPE_PATTERN"]

#: ``<name>.v<version>``: the version is part of the type so that routing keys and consumers see it.
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*\.v[1-9][0-9]*$"

D = TypeVar("D", bound=EventData)


def _new_id() -> str:
    """A random (version 4) UUID in its canonical text, as ``str(uuid.uuid4())`` writes it.

    Built from the random bytes directly: ``uuid.UUID``'s constructor checks and converts in Python, and every event
    the hub journals gets an id (py-spy: ~2 us an event, more than half of it there)."""
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40   # version 4
    raw[8] = raw[8] & 0x3F | 0x80   # RFC 4122 variant
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _now() -> datetime:
    return datetime.now(timezone.utc)


class Envelope(BaseModel, Generic[D]):
    """One event about one demand, as journaled, routed and delivered."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    specversion: Literal["1.0"] = "1.0"
    id: str = Field(default_factory=_new_id, min_length=1, max_length=128,
                    description="Unique id of this event; a redelivered event keeps its id.")
    type: str = Field(pattern=EVENT_TYPE_PATTERN, description="Event type with its version, e.g. decision_cal.v1.")
    source: str = Field(min_length=1, max_length=200,
                        description="The originating system (connector name, URI-reference), e.g. 'bailleurs'.")
    entity: LegalEntity = Field(description="The legal entity (personne morale) answerable for this change.")
    subject: str | None = Field(default=None, description="The numéro unique of the demand the event is about.")
    time: AwareDatetime = Field(default_factory=_now, description="When the fact happened at the source.")
    datacontenttype: Literal["application/json"] = "application/json"
    dataschema: str | None = None
    sourcemessageid: str | None = Field(default=None, max_length=300,
                                        description="The partner's id for the message this event came from.")
    correlationid: str | None = Field(default=None, max_length=128)
    causationid: str | None = Field(default=None, max_length=128)
    data: D

    @model_validator(mode="after")
    def _type_matches_payload(self) -> "Envelope[D]":
        # Why: routing uses ``type`` while consumers trust ``data``'s model; they must never disagree.
        declared = getattr(type(self.data), "event_type", None)
        if declared is not None and declared != self.type:
            raise ValueError(f"type: {self.type!r} does not match the payload's event type {declared!r}")
        return self
