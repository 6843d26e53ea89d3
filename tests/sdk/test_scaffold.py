"""``relais new-connector``: the package it writes installs, passes its own tests, and receives events in a hub."""

from __future__ import annotations

import ast
import json
import tomllib
import uuid

import pytest

from hub.core.plugins import PluginHost
from hub.scaffold import ScaffoldError, connector_variables, scaffold_connector
from hub.scaffold.render import ROLES
from tests.factories import decision, write_decisions
from tests.sdk.conftest import plain_env, run_relais


def test_names_are_derived_from_the_connector_name():
    names = connector_variables("foo_erp")
    assert (names["package"], names["dist"], names["class_prefix"]) == ("relais_foo_erp", "relais-foo-erp", "FooErp")
    assert names["relais_requirement"].startswith("relais>=0.1,<0.2")


@pytest.mark.parametrize("name", ["Foo", "1foo", "foo-erp", "f", "foo__bar", "foo_", "x" * 41])
def test_a_name_that_cannot_name_a_queue_and_a_package_is_refused(name):
    with pytest.raises(ScaffoldError, match="lowercase letters"):
        connector_variables(name)


def test_a_partner_that_may_receive_nothing_is_not_offered():
    assert "autre" not in ROLES
    with pytest.raises(ScaffoldError, match="role 'autre'"):
        connector_variables("foo", role="autre")


def test_the_package_is_complete_and_every_file_parses(tmp_path):
    written = scaffold_connector("foo_erp", tmp_path / "pkg", role="reservataire")
    names = {p.relative_to(tmp_path / "pkg").as_posix() for p in written}
    assert {"pyproject.toml", ".gitignore", "README.md", "src/relais_foo_erp/plugin.py",
            "src/relais_foo_erp/codec.py", "src/relais_foo_erp/settings.py", "src/relais_foo_erp/connector.py",
            "tests/test_codec.py", "tests/test_in_hub.py", "tests/fixtures/visites.json",
            "tests/golden/decision.out.json"} <= names
    pyproject = tomllib.loads((tmp_path / "pkg" / "pyproject.toml").read_text())
    assert pyproject["project"]["entry-points"]["relais"] == {"foo_erp": "relais_foo_erp.plugin"}
    for path in written:
        if path.suffix == ".py":
            ast.parse(path.read_text(), filename=str(path))
        elif path.suffix == ".json":
            json.loads(path.read_text())
    assert "PartnerRole.RESERVATAIRE" in (tmp_path / "pkg/src/relais_foo_erp/connector.py").read_text()


def test_plugin_py_holds_only_hook_implementations(tmp_path):
    scaffold_connector("foo_erp", tmp_path)
    tree = ast.parse((tmp_path / "src/relais_foo_erp/plugin.py").read_text())
    definitions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef))]
    assert definitions and all(isinstance(n, ast.FunctionDef) and n.name.startswith("relais_")
                               and any(getattr(d, "id", None) == "hookimpl" for d in n.decorator_list)
                               for n in definitions)


def test_a_directory_that_is_not_empty_is_kept_unless_forced(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ScaffoldError, match="not empty"):
        scaffold_connector("foo_erp", tmp_path)
    scaffold_connector("foo_erp", tmp_path, force=True)
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_the_cli_refuses_a_bad_name_with_a_usage_error(tmp_path):
    out = run_relais("new-connector", "Bad-Name", "--dir", str(tmp_path / "x"), env=plain_env(tmp_path / "home"))
    assert out.returncode == 2 and "lowercase letters" in out.stderr


@pytest.mark.slow
def test_a_scaffolded_connector_installs_passes_its_tests_is_listed_and_receives_events(tmp_path, child_environment):
    name = f"probe_{uuid.uuid4().hex[:8]}"
    package = tmp_path / f"relais-{name}"
    home = tmp_path / "home"
    env = plain_env(home, RELAIS_PLUGINS=f"{name},bailleurs")

    created = run_relais("new-connector", name, "--dir", str(package), env=env)
    assert created.returncode == 0, created.stderr
    child_environment.pip_install(package)

    own_tests = child_environment.run("-m", "pytest", "-q", "-p", "no:cacheprovider", cwd=package, env=env)
    assert own_tests.returncode == 0, own_tests.stdout + own_tests.stderr
    assert " passed" in own_tests.stdout and "failed" not in own_tests.stdout

    listed = run_relais("plugins", "--json", env=env, python=child_environment.python)
    assert listed.returncode == 0, listed.stderr
    [row] = [r for r in json.loads(listed.stdout)["connectors"] if r["connector"] == name]
    assert row["distribution"] == f"relais-{name.replace('_', '-')} 0.1.0"
    assert row["subscribes"] == ["decision_cal.*"]

    sent = decision(commune="63113")
    write_decisions(home / "inbox" / "bailleurs", "cal.json", [sent])
    ran = run_relais("run", "--once", env=env, python=child_environment.python)
    assert ran.returncode == 0, ran.stderr
    assert f"{name}: 1 delivered" in ran.stdout
    [received] = list((home / "outbox" / name).glob("*.json"))
    assert json.loads(received.read_text())["numero_unique"] == sent["numero_unique"]

    # installed in the child environment only: this one is untouched
    assert name not in PluginHost.load(allow=[name]).connector_classes()
