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
ALLOWED = ("hub", "contracts")


def test_every_name_of_the_public_api_resolves():
    for name in hub.__all__:
        assert getattr(hub, name) is not None, name
    with pytest.raises(AttributeError):
        hub.no_such_thing  # noqa: B018


def test_the_api_covers_what_a_connector_is_made_of():
    assert {"hookimpl", "Connector", "ConnectorSettings", "RawMessage", "OutboundMessage", "PartnerRole",
            "RetryableError", "RejectError", "DecodeError", "ContractError", "RecordReject", "ErrorLocation",
            "HttpTarget", "require_api_key"} <= set(hub.__all__)


def test_the_pytest_plugin_is_registered_for_every_environment_with_relais():
    [entry] = metadata.entry_points(group="pytest11", name="relais")
    assert entry.value == "hub.testing"


def internal_imports(source_root: Path) -> list[str]:
    """``file: module`` for each import of this repository's code other than the public ``hub`` and ``contracts``."""
    found = []
    for path in sorted(source_root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            modules = ([a.name for a in node.names] if isinstance(node, ast.Import)
                       else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for module in modules:
                top = module.split(".")[0]
                if top in ("hub", "contracts", "plugins") and module not in ALLOWED:
                    found.append(f"{path.name}: {module}")
    return found


def test_the_example_connector_uses_only_the_public_api():
    assert internal_imports(EXAMPLE / "src") == []


def test_a_scaffolded_connector_uses_only_the_public_api(tmp_path):
    scaffold_connector("foo_erp", tmp_path)
    assert internal_imports(tmp_path / "src") == []


def test_the_boundary_check_catches_an_internal_import(tmp_path):
    (tmp_path / "plugin.py").write_text("from hub.core.journal import Journal\nimport plugins.habisoft\n")
    assert internal_imports(tmp_path) == ["plugin.py: hub.core.journal", "plugin.py: plugins.habisoft"]
