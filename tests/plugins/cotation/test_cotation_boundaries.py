"""The engine is a pure computation: it imports only ``contracts`` and its own package (no hub, no other plugin),
and reads neither the clock nor the environment. The processor beside it (``plugin``, ``processor``, ``commands``,
``settings``, ``tables``, ``inputs``) uses the hub's public API, and gets the clock from the hub."""

from __future__ import annotations

import re
from pathlib import Path

from tests.sdk.test_public_api import internal_imports

PACKAGE = Path(__file__).resolve().parents[3] / "plugins" / "cotation"
#: The processor's modules: the only ones that may import the hub.
PROCESSOR = {"plugin.py", "processor.py", "commands.py", "settings.py", "tables.py", "inputs.py"}


def engine_modules() -> list[Path]:
    return [p for p in PACKAGE.rglob("*.py") if p.name not in PROCESSOR]


def test_the_cotation_package_imports_only_contracts_and_itself():
    assert internal_imports(PACKAGE, own_package="plugins.cotation") == []
    hub_imports = [p.name for p in engine_modules()
                   if re.search(r"^\s*(from|import) hub\b", p.read_text(), re.MULTILINE)]
    assert hub_imports == [], "the engine needs only contracts"
    processor_names = "|".join(name.removesuffix(".py") for name in PROCESSOR)
    through_processor = [p.name for p in engine_modules() if re.search(
        rf"^\s*from plugins\.cotation(\.({processor_names}))? import .*\b({processor_names})\b|"
        rf"^\s*from plugins\.cotation\.({processor_names}) import", p.read_text(), re.MULTILINE)]
    assert through_processor == [], "the engine does not reach the hub through the processor's modules"


def test_nothing_reads_the_clock():
    clock = re.compile(r"\b(date\.today|datetime\.now|datetime\.utcnow|time\.time)\s*\(")
    assert [p.name for p in PACKAGE.rglob("*.py") if clock.search(p.read_text())] == []   # processor included
