"""``RELAIS_EXTRA_PLUGINS``: plugin modules loaded by path, without installing them — how the reliability tests
give a ``relais run`` subprocess their test partners."""

from __future__ import annotations

import json
import subprocess
import sys

from hub.core.plugins import EXTRA_PLUGINS_ENV, PluginHost
from tests.reliability.conftest import PLUGIN, ROOT


def test_extra_plugin_modules_are_loaded_from_the_environment(monkeypatch):
    monkeypatch.setenv(EXTRA_PLUGINS_ENV, f" {PLUGIN} , ")
    monkeypatch.setenv("RELAIS_PLUGINS", "bailleurs")   # the allow-list selects entry points, not named modules
    host = PluginHost.load()
    classes = host.connector_classes()
    assert {name: plugin for name, (plugin, _cls) in classes.items()} == {
        "bailleurs": "bailleurs", "partner": PLUGIN, "fast": PLUGIN, "slow": PLUGIN, "reservataire": PLUGIN}
    assert host.distributions[PLUGIN] == f"(module {PLUGIN})" and host.failures == []


def test_a_module_that_does_not_import_is_reported_and_the_others_load(monkeypatch):
    monkeypatch.setenv(EXTRA_PLUGINS_ENV, f"tests.reliability.no_such_plugin,{PLUGIN}")
    host = PluginHost.load(allow=[])
    assert [(f.plugin, f.stage) for f in host.failures] == [("tests.reliability.no_such_plugin", "load")]
    assert "ModuleNotFoundError" in host.failures[0].error
    assert "partner" in host.connector_classes()


def test_the_argument_wins_over_the_environment(monkeypatch):
    monkeypatch.setenv(EXTRA_PLUGINS_ENV, PLUGIN)
    assert PluginHost.load(allow=[], extra=[]).connector_classes() == {}


def test_relais_plugins_shows_the_extra_plugin_in_a_subprocess():
    env = {"PATH": "/usr/bin:/bin", "RELAIS_PLUGINS": "bailleurs", EXTRA_PLUGINS_ENV: PLUGIN,
           "RELAIS_LOG_FORMAT": "json"}
    out = subprocess.run([sys.executable, "-m", "hub", "plugins", "--json"], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    rows = {r["connector"]: r for r in json.loads(out.stdout)["connectors"]}
    assert rows["reservataire"]["plugin"] == PLUGIN and rows["reservataire"]["role"] == "reservataire"
    assert rows["partner"]["distribution"] == f"(module {PLUGIN})"
