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
from collections import deque
from datetime import datetime, timezone
from typing import Generic, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from contracts.base import EventData, LegalEntity

__all__ = ["Envelope", "EVENT_TYPE_PATTERN"]

#: ``<name>.v<version>``: the version is part of the type so that routing keys and consumers see it.
EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*\.v[1-9][0-9]*$"

D = TypeVar("D", bound=EventData)


#: Ids made ahead, taken one at a time (``popleft`` is atomic: threads never get the same id).
_ids: deque[str] = deque()
#: The hex digit of an id's 17th position (the variant's nibble) for each random digit: 8, 9, a or b (RFC 4122).
_VARIANT = {digit: "89ab"[int(digit, 16) & 3] for digit in "0123456789abcdef"}
_IDS_PER_READ = 256

# a forked child must not hand out the ids its parent made ahead: both would journal the same ids
os.register_at_fork(after_in_child=_ids.clear)


def _new_id() -> str:
    """A random (version 4) UUID in its canonical text, as ``str(uuid.uuid4())`` writes it.

    Built from random hex text directly: ``uuid.UUID``'s constructor checks and converts in Python, and every event
    the hub journals gets an id. The random bytes are read for 256 ids at a time, as ``os.urandom`` reads them
    (py-spy: one ``getrandom`` system call per id was a tenth of the decoding thread's samples), and the ids made
    then are taken in turn. The version digit (13th) is ``4``; the variant's (17th) keeps its two random low bits
    under the ``10`` of RFC 4122."""
    try:
        return _ids.popleft()
    except IndexError:
        h = os.urandom(16 * _IDS_PER_READ).hex()
        _ids.extend([f"{h[i:i + 8]}-{h[i + 8:i + 12]}-4{h[i + 13:i + 16]}-{_VARIANT[h[i + 16]]}{h[i + 17:i + 20]}-"
                     f"{h[i + 20:i + 32]}" for i in range(0, len(h), 32)])
        return _ids.popleft()


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
