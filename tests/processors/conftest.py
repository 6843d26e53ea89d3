"""Hubs with the test processors (``tests.processors.plugin``) beside the bundled CAL-decision flow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.event import listen, remove

from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.settings import HubSettings

PLUGINS = ["bailleurs", "habisoft", "dossier"]
EXTRA = "tests.processors.plugin"

#: The hub's clock in these tests: processors see this "now", whatever the day the tests run.
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)


def with_sections(settings: HubSettings, **sections: dict[str, Any]) -> HubSettings:
    return HubSettings(**{**settings.model_dump(), "connectors": sections})


@pytest.fixture
def make_hub() -> Callable[..., Hub]:
    def make(settings: HubSettings, clock: Callable[[], datetime] = lambda: NOW, plugins=PLUGINS) -> Hub:
        return Hub(settings, PluginHost.load(allow=plugins, extra=[EXTRA]), clock=clock)
    return make


def rows(hub: Hub, table) -> list[tuple]:
    with hub.journal.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(*table.primary_key.columns))]


def step_batches(hub: Hub, worker: str, total: int, event: str, counted: Callable[..., bool]) -> int:
    """Journal and publish what waits in the inbox, then step ``worker`` until it handled ``total`` events,
    asserting that each batch made exactly one of the engine's ``event`` notifications ``counted`` recognises (one
    commit, one INSERT…); returns how many events were handled."""
    hub.start()                      # journaled after the start: nothing a dead process may have held
    hub.inbox.scan()
    while hub.relay.publish_pending():
        pass
    seen: list[int] = []

    def count(*args: Any) -> None:
        if counted(*args):
            seen.append(1)
    listen(hub.journal.engine, event, count)
    try:
        handled = 0
        while handled < total:
            seen.clear()
            step = hub.workers[worker].step(wait=1.0).delivered
            assert len(seen) == (1 if step else 0), f"{len(seen)} {event} for a batch of {step}"
            handled += step
    finally:
        remove(hub.journal.engine, event, count)
    return handled
