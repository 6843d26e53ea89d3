"""Helpers of the cotation processor's tests: a hub with a movable clock, events journaled as partners would."""

from __future__ import annotations

import itertools
import json
from datetime import date, datetime, time, timezone
from typing import Any

from sqlalchemy import select

from contracts import REGISTRY, EventData, LegalEntity
from hub.core.journal_schema import events
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.settings import HubSettings

GUICHET = LegalEntity(siren="200071363", nom="CC Thiers Dore et Montagne")
_ids = itertools.count(1)


class Clock:
    """The hub's injectable clock, moved by the test."""

    def __init__(self, day: date):
        self.now = datetime.combine(day, time(9, 0), timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def set(self, day: date) -> None:
        self.now = datetime.combine(day, time(9, 0), timezone.utc)


def with_sections(settings: HubSettings, **sections: dict[str, Any]) -> HubSettings:
    return HubSettings(**{**settings.model_dump(), "connectors": sections})


def make_hub(settings: HubSettings, clock: Clock, plugins: tuple[str, ...] = ("cotation",)) -> Hub:
    return Hub(settings, PluginHost.load(allow=list(plugins)), clock=clock)


def journal(hub: Hub, *payloads: EventData, day: date | None = None, source: str = "tests",
            entity: LegalEntity = GUICHET) -> None:
    """Journal partner events (as a connector's ingestion would, by ``entity``), then let the processors handle
    them."""
    when = hub.clock() if day is None else datetime.combine(day, time(8, 0), timezone.utc)
    hub.journal.append([REGISTRY.build(p, source=source, entity=entity, time=when, id=f"t-{next(_ids)}")
                        for p in payloads])
    hub.run_once()


def derived(hub: Hub, event_type: str) -> list[dict[str, Any]]:
    """The payloads of a type journaled so far, in journal order."""
    with hub.journal.engine.connect() as conn:
        return [json.loads(body)["data"] for (body,) in conn.execute(
            select(events.c.body).where(events.c.type == event_type).order_by(events.c.seq))]
