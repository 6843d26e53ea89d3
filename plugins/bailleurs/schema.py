"""The JSON Schemas of the landlords' JSON formats, generated from the wire models, and their committed copies.

``python -m plugins.bailleurs.schema`` rewrites ``plugins/bailleurs/schemas/*.json``; ``--check`` exits 1 naming
each stale file (a test runs it: a model changed without regenerating fails CI). Why committed: a landlord's
integrator validates a file before sending it without installing the hub, and a diff of the schema shows in review
what a change of the contracts does to the landlords' formats.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from plugins.bailleurs.wire import DecisionsDocument, EvenementsDocument

__all__ = ["SCHEMAS_DIR", "inbound_schema", "main", "schemas", "stale", "write"]

SCHEMAS_DIR = Path(__file__).resolve().parent / "schemas"
_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def schemas() -> dict[str, dict[str, Any]]:
    """File name → JSON Schema of one document of that format."""
    return {
        "decisions_cal-1.schema.json": {"$schema": _DIALECT, **DecisionsDocument.model_json_schema()},
        "evenements-1.schema.json": {"$schema": _DIALECT, **EvenementsDocument.model_json_schema()},
    }


def inbound_schema() -> dict[str, Any]:
    """Either JSON document (the gateway publishes it as the request body of ``POST /v1/inbound/bailleurs``)."""
    defs: dict[str, Any] = {}
    choices = []
    for generated in schemas().values():
        schema = {k: v for k, v in generated.items() if k != "$schema"}
        defs.update(schema.pop("$defs", {}))
        key = schema["title"].replace("/", "_")
        defs[key] = schema
        choices.append({"$ref": f"#/$defs/{key}"})
    return {"title": "bailleurs", "oneOf": choices, "$defs": defs}


def _render(schema: dict[str, Any]) -> str:
    return json.dumps(schema, ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def stale(directory: Path = SCHEMAS_DIR) -> list[str]:
    """The committed schema files that differ from what the models generate (or are missing)."""
    out = []
    for name, schema in schemas().items():
        path = directory / name
        if not path.is_file() or path.read_text(encoding="utf-8") != _render(schema):
            out.append(name)
    return out


def write(directory: Path = SCHEMAS_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, schema in schemas().items():
        path = directory / name
        path.write_text(_render(schema), encoding="utf-8")
        written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args == ["--check"]:
        late = stale()
        for name in late:
            print(f"{SCHEMAS_DIR / name} is stale: run python -m plugins.bailleurs.schema", file=sys.stderr)
        return 1 if late else 0
    if args:
        print("usage: python -m plugins.bailleurs.schema [--check]", file=sys.stderr)
        return 2
    for path in write():
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
