"""Building blocks for connector tests: a fictional legal entity, deterministic events, raw messages.

Why deterministic: an event's id and time appear in what a connector renders (file names, bodies), so golden files
can only be stable if a test event is the same on every run. Nothing here is real: the SIREN below is a valid
number chosen for tests, attached to an invented name.
"""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from contracts import REGISTRY, Envelope, EventData, LegalEntity
from hub.core.connector import RawMessage

__all__ = ["TEST_ENTITY", "TEST_TIME", "make_event", "raw_message"]

TEST_ENTITY = LegalEntity(siren="123456782", nom="Bailleur d'essai")
TEST_TIME = datetime(2026, 1, 15, 9, 30, tzinfo=timezone.utc)
_IDS = uuid.UUID("5d1b0e6c-6a51-4c0e-9d58-7a0c2f1d3e42")


def make_event(data: EventData, *, source: str = "test_source", entity: LegalEntity = TEST_ENTITY,
               **attributes: Any) -> Envelope[Any]:
    """An envelope around ``data`` as another partner would have sent it, with an id derived from its content and a
    fixed time unless given: the same call gives the same event on every run."""
    attributes.setdefault("time", TEST_TIME)
    # Unset optional fields are left out so that a contract gaining an optional field does not change test ids.
    content = json.dumps(data.model_dump(mode="json", exclude_none=True), sort_keys=True)
    attributes.setdefault("id", str(uuid.uuid5(_IDS, f"{source}|{data.event_type}|{content}")))
    return REGISTRY.build(data, source=source, entity=entity, **attributes)


def raw_message(body: bytes | str | Path | RawMessage, origin: str | None = None, **metadata: Any) -> RawMessage:
    """What the hub hands ``decode()``: from bytes, text (UTF-8), a file, or a ready ``RawMessage``."""
    if isinstance(body, RawMessage):
        return body
    if isinstance(body, Path):
        return RawMessage.from_bytes(body.read_bytes(), origin=origin or body.name, **metadata)
    data = body.encode() if isinstance(body, str) else body
    return RawMessage.from_bytes(data, origin=origin or "test-input", **metadata)
