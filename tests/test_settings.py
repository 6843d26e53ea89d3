"""Every setting is documented: the hub's in the README's settings table, each bundled connector's own keys in its
README. The check is a function so that a test proves it can fail."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from hub.core.connector import ConnectorSettings
from hub.core.plugins import PluginHost
from hub.settings import HubSettings, RetrySettings

REPO = Path(__file__).resolve().parents[1]


def settings_keys() -> list[str]:
    """Every key an operator may write, as the README's table spells it."""
    keys = [name for name in HubSettings.model_fields if name not in ("retry", "connectors")]
    keys += [f"retry.{name}" for name in RetrySettings.model_fields]
    keys += [f"connectors.NAME.{name}" for name in ConnectorSettings.model_fields]
    return keys


def undocumented(keys: list[str], text: str) -> list[str]:
    """Keys that no table row of ``text`` names (a row starts with ``| `key` |``)."""
    rows = set(re.findall(r"^\| `([^`]+)` \|", text, flags=re.MULTILINE))
    return [key for key in keys if key not in rows]


def connector_keys(model: type[BaseModel]) -> list[str]:
    return [name for name in model.model_fields if name not in ConnectorSettings.model_fields]


def test_every_hub_setting_is_in_the_readme_table():
    assert undocumented(settings_keys(), (REPO / "README.md").read_text(encoding="utf-8")) == []


def test_the_check_can_fail():
    text = (REPO / "README.md").read_text(encoding="utf-8").replace("| `lease` |", "| lease |")
    assert undocumented(settings_keys(), text) == ["lease"]


@pytest.mark.parametrize("name", ["bailleurs", "cotation", "habisoft", "listes", "sne"])
def test_every_key_of_a_bundled_connector_is_in_its_readme(name):
    _plugin, cls = PluginHost.load(allow=[name]).connector_classes()[name]
    readme = (REPO / "plugins" / name / "README.md").read_text(encoding="utf-8")
    missing = [key for key in connector_keys(cls.settings_model) if f"`{key}`" not in readme]
    assert missing == [], f"plugins/{name}/README.md does not document {missing}"
