"""The public plugin API: one import gives a plugin everything, and the shipped plugins use nothing else."""

from __future__ import annotations

import ast
from importlib import metadata
from pathlib import Path

import pytest

import hub
from hub.scaffold import scaffold_connector
from tests.sdk.conftest import EXAMPLE

#: What a plugin's own code (not its tests) may import from this repository.
ALLOWED = ("hub", "hub.xml", "hub.json_documents", "contracts")


def test_every_name_of_the_public_api_resolves():
    for name in hub.__all__:
        assert getattr(hub, name) is not None, name
    with pytest.raises(AttributeError):
        hub.no_such_thing  # noqa: B018


def test_the_api_covers_what_a_connector_is_made_of():
    assert {"hookimpl", "Connector", "ConnectorSettings", "RawMessage", "OutboundMessage", "PartnerRole",
            "RetryableError", "RejectError", "DecodeError", "ContractError", "RecordReject", "ErrorLocation",
            "HttpTarget", "require_api_key"} <= set(hub.__all__)


def test_the_api_lets_a_plugin_serve_a_registry_partner_and_audit_it():
    """What listes' ``--partner`` export and the applicant-information API use (docs/partners.md, "For plugins")."""
    from hub.core.runtime import Hub
    assert {"require_partner", "command_operator", "command_hub"} <= set(hub.__all__)
    assert callable(hub.require_partner()) and callable(hub.require_partner(legacy_connector="echeances"))
    assert all(callable(getattr(Hub, name)) for name in ("find_partner", "demand_verdict", "audit_access"))


def test_the_pytest_plugin_is_registered_for_every_environment_with_relais():
    [entry] = metadata.entry_points(group="pytest11", name="relais")
    assert entry.value == "hub.testing"


def internal_imports(source_root: Path, own_package: str | None = None) -> list[str]:
    """``file: module`` for each import of this repository's code other than the public ``hub`` API and
    ``contracts`` (all of it: the shared language) — a plugin's imports of its own package (``own_package``)
    excepted."""
    found = []
    for path in sorted(source_root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for module in modules:
                top = module.split(".")[0]
                own = own_package is not None and (module == own_package or module.startswith(own_package + "."))
                if top in ("hub", "plugins") and module not in ALLOWED and not own:   # contracts: public, whole
                    found.append(f"{path.name}: {module}")
    return found


@pytest.mark.parametrize("plugin", sorted(p.name for p in (Path(__file__).resolve().parents[2] / "plugins").iterdir()
                                          if (p / "plugin.py").exists()))
def test_each_bundled_plugin_uses_only_the_public_api_and_its_own_package(plugin):
    """The bundled plugins prove the integrator's path: nothing of ``hub.core`` or another plugin."""
    root = Path(__file__).resolve().parents[2] / "plugins" / plugin
    assert internal_imports(root, own_package=f"plugins.{plugin}") == []


def test_contracts_stay_importable_alone():
    """``contracts`` imports neither the hub nor a plugin (integrators use it alone)."""
    root = Path(__file__).resolve().parents[2] / "contracts"
    assert internal_imports(root) == []


def test_the_example_connector_uses_only_the_public_api():
    assert internal_imports(EXAMPLE / "src") == []


def test_a_scaffolded_connector_uses_only_the_public_api(tmp_path):
    scaffold_connector("foo_erp", tmp_path)
    assert internal_imports(tmp_path / "src") == []


def test_the_boundary_check_catches_an_internal_import(tmp_path):
    (tmp_path / "plugin.py").write_text("from hub.core.journal import Journal\nimport plugins.habisoft\n"
                                        "from hub.xml_safe import parse\nfrom plugins.sne import codes\n")
    assert internal_imports(tmp_path, own_package="plugins.sne") == [
        "plugin.py: hub.core.journal", "plugin.py: plugins.habisoft", "plugin.py: hub.xml_safe"]


def test_the_core_imports_none_of_the_faces():
    """``hub/core`` defines what it needs (its settings types included); the faces (CLI, settings loading, gateway,
    scaffold) build on it, never the other way round."""
    core = Path(__file__).resolve().parents[2] / "hub" / "core"
    faces = ("hub.settings", "hub.cli", "hub.operations", "hub.gateway", "hub.scaffold", "hub.progress", "hub.docs")
    found = []
    for path in sorted(core.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            found += [f"{path.name}: {m}" for m in modules if m.startswith(faces)]
    assert found == []
