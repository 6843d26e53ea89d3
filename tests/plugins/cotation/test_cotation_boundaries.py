"""The engine is a pure computation: it imports only ``contracts`` and its own package (no hub, no other plugin),
and reads neither the clock nor the environment."""

from __future__ import annotations

import re
from pathlib import Path

from tests.sdk.test_public_api import internal_imports

PACKAGE = Path(__file__).resolve().parents[3] / "plugins" / "cotation"


def test_the_cotation_package_imports_only_contracts_and_itself():
    assert internal_imports(PACKAGE, own_package="plugins.cotation") == []
    hub_imports = [p.name for p in PACKAGE.rglob("*.py")
                   if re.search(r"^\s*(from|import) hub\b", p.read_text(), re.MULTILINE)]
    assert hub_imports == [], "the engine needs only contracts"


def test_nothing_reads_the_clock():
    clock = re.compile(r"\b(date\.today|datetime\.now|datetime\.utcnow|time\.time)\s*\(")
    assert [p.name for p in PACKAGE.rglob("*.py") if clock.search(p.read_text())] == []
