"""Golden files shared by the XML connectors' tests: ``<name>.json`` holds the expected event (without the
attributes a decoder sets itself) and ``<name>.xml`` the partner document it corresponds to, in both directions."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from contracts import REGISTRY, Envelope

__all__ = ["expected_json", "load_expected", "write_golden"]


def expected_json(event: Envelope[Any]) -> dict[str, Any]:
    """What decoding the XML must give back: the event without the attributes the decoder sets itself."""
    return json.loads(event.model_dump_json(include={"type", "subject", "time", "entity", "data"}))


def load_expected(fixtures: Path, name: str) -> Envelope[Any]:
    """The expected event of a golden file, as an envelope (for the encoding direction)."""
    obj = json.loads((fixtures / f"{name}.json").read_text(encoding="utf-8"))
    return REGISTRY.parse({**obj, "id": f"golden-{name}", "source": "tests"})


def write_golden(fixtures: Path, events: Mapping[str, Envelope[Any]],
                 encode: Callable[[Envelope[Any]], bytes]) -> None:
    """Rewrite every golden pair; the XML is rendered from the JSON as read back, so both sides agree."""
    fixtures.mkdir(parents=True, exist_ok=True)
    for name, event in events.items():
        (fixtures / f"{name}.json").write_text(
            json.dumps(expected_json(event), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        (fixtures / f"{name}.xml").write_bytes(encode(load_expected(fixtures, name)))
        print("wrote", name, file=sys.stderr)
