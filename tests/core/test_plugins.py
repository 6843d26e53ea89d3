"""The plugin host: entry-point discovery, allow/block lists, duplicate names, broken plugins isolated."""

from __future__ import annotations

import json
import subprocess
import sys
import types

import pytest

from hub import Connector, DuplicateRegistration, PartnerRole, hookimpl
from hub.core.plugins import PluginHost


def _plugin_with(*classes):
    mod = types.SimpleNamespace()

    @hookimpl
    def relais_register_connectors(register):
        for cls in classes:
            register(cls)

    mod.relais_register_connectors = relais_register_connectors
    return mod


class Alpha(Connector):
    name = "alpha"
    role = PartnerRole.EPCI
    subscriptions = ("decision_cal.*",)


class AlphaAgain(Connector):
    name = "alpha"


def test_bundled_plugins_are_found_through_the_entry_point_group():
    host = PluginHost.load(allow=["bailleurs", "habisoft"])
    classes = host.connector_classes()
    assert {"bailleurs", "habisoft"} <= set(classes)
    assert host.distributions["bailleurs"].startswith("relais ")


def test_block_list_skips_a_plugin():
    host = PluginHost.load(allow=["bailleurs", "habisoft"], block=["habisoft"])
    assert set(host.connector_classes()) == {"bailleurs"}


def test_duplicate_connector_names_are_refused_naming_both_plugins():
    host = PluginHost.load(entry_points=False)
    host.register(_plugin_with(Alpha), "first_plugin")
    host.register(_plugin_with(AlphaAgain), "second_plugin")
    with pytest.raises(DuplicateRegistration) as err:
        host.connector_classes()
    assert "first_plugin" in str(err.value) and "second_plugin" in str(err.value)


def test_a_plugin_whose_hook_raises_is_reported_and_others_still_register():
    bad = types.SimpleNamespace()

    @hookimpl
    def relais_register_connectors(register):
        raise RuntimeError("boom")

    bad.relais_register_connectors = relais_register_connectors
    host = PluginHost.load(entry_points=False)
    host.register(bad, "broken_plugin")
    host.register(_plugin_with(Alpha), "good_plugin")
    assert set(host.connector_classes()) == {"alpha"}
    assert [(f.plugin, f.stage) for f in host.failures] == [("broken_plugin", "relais_register_connectors")]


def test_registering_something_that_is_not_a_connector_is_reported():
    host = PluginHost.load(entry_points=False)
    host.register(_plugin_with(object), "odd_plugin")
    assert host.connector_classes() == {}
    assert host.failures[0].plugin == "odd_plugin" and "not a hub.Connector" in host.failures[0].error


def test_relais_plugins_lists_version_and_subscriptions():
    out = subprocess.run([sys.executable, "-m", "hub", "plugins", "--json"], capture_output=True, text=True,
                         env={"RELAIS_PLUGINS": "bailleurs,habisoft", "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.returncode == 0, out.stderr
    listed = {c["connector"]: c for c in json.loads(out.stdout)["connectors"]}
    assert listed["habisoft"]["subscribes"] and listed["habisoft"]["version"]
    assert "decision_cal.*" in listed["bailleurs"]["emits"] and "bail_signe.*" in listed["bailleurs"]["emits"]


def test_a_plugin_that_fails_to_import_is_named_and_the_cli_still_works(tmp_path):
    # a fake distribution declaring an entry point to a module that raises on import
    dist = tmp_path / "broken_relais_plugin-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: broken-relais-plugin\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[relais]\nbroken = broken_relais_plugin_mod\n")
    (tmp_path / "broken_relais_plugin_mod.py").write_text("raise ImportError('missing vendor SDK')\n")
    env = {"PYTHONPATH": str(tmp_path), "RELAIS_PLUGINS": "bailleurs,habisoft,broken", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-m", "hub", "plugins"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "habisoft" in out.stdout
    assert "FAILED plugin broken at load: ImportError: missing vendor SDK" in out.stderr


def test_a_third_party_entry_point_with_a_bundled_name_is_an_error_naming_both_distributions(tmp_path):
    """Never a silent replacement: which `bailleurs` would deliver a landlord's decisions?"""
    dist = tmp_path / "relais_bailleurs_fork-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: relais-bailleurs-fork\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[relais]\nbailleurs = bailleurs_fork_mod\n")
    (tmp_path / "bailleurs_fork_mod.py").write_text("")
    env = {"PYTHONPATH": str(tmp_path), "PATH": "/usr/bin:/bin", "RELAIS_HOME": str(tmp_path / "home")}
    out = subprocess.run([sys.executable, "-m", "hub", "plugins"], capture_output=True, text=True, env=env,
                         timeout=60)
    assert out.returncode == 2, out.stderr
    line = out.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: plugin name 'bailleurs' is declared by distribution ")
    from importlib.metadata import version
    assert "relais-bailleurs-fork 1.0 (bailleurs_fork_mod)" in line
    assert f"relais {version('relais')} (plugins.bailleurs.plugin)" in line


def test_an_entry_point_listed_twice_by_the_same_distribution_loads_once(monkeypatch):
    from importlib import metadata

    from hub.core import plugins
    real = [ep for ep in metadata.entry_points(group="relais") if ep.name == "bailleurs"]
    monkeypatch.setattr(plugins.metadata, "entry_points", lambda group: real + real)
    host = PluginHost.load(allow=["bailleurs"])
    assert sorted(host.connector_classes()) == ["bailleurs"]
    assert host.failures == []
