"""Hubs with the test processors (``tests.processors.plugin``) beside the bundled CAL-decision flow."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import select

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
