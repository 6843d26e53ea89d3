"""Export of the contracts for integrators: one JSON Schema per event type and an AsyncAPI 3.0 document.

Why files: partners who do not use Python validate against the schemas; the AsyncAPI document tells them which
routing key carries which message on the ``relais.events`` exchange. The same files, committed under
``contracts/schemas/``, are the published snapshots that the compatibility test guards (see README.md).

Output is byte-for-byte reproducible (sorted keys, fixed indentation, no timestamps), so that a diff shows exactly
what changed in a contract. ``relais contracts export [--out DIR]`` calls :func:`export_all`.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contracts.compat import IncompatibleSchemaChange, find_incompatibilities
from contracts.registry import REGISTRY

__all__ = ["export_all", "event_schema", "render_json", "schema_filename", "ASYNCAPI_FILENAME", "SCHEMA_DIALECT",
           "SNAPSHOT_DIR"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ASYNCAPI_FILENAME = "asyncapi.json"
#: Where the published snapshots live in the source tree.
SNAPSHOT_DIR = Path(__file__).resolve().parent / "schemas"


def schema_filename(event_type: str) -> str:
    return f"{event_type}.json"


def event_schema(event_type: str) -> dict[str, Any]:
    """The JSON Schema of ``Envelope[Model]`` for one event type, its ``type`` pinned to the event type."""
    schema = REGISTRY.envelope_model(event_type).model_json_schema()
    schema["properties"]["type"] = {**schema["properties"]["type"], "const": event_type}
    return {"$schema": SCHEMA_DIALECT, "$id": f"urn:relais:contracts:{event_type}", **schema}


def render_json(document: Any) -> str:
    """The canonical text of an exported document: what makes exports reproducible."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_all(out_dir: Path, *, allow_breaking: bool = False) -> list[Path]:
    """Write ``<event_type>.json`` for every registered event type and ``asyncapi.json`` into ``out_dir``.

    When ``out_dir`` already holds a schema for a type and the new one is incompatible with it, nothing is written
    and :class:`~contracts.compat.IncompatibleSchemaChange` is raised, unless ``allow_breaking`` (meant for an
    unpublished type only): regenerating snapshots must never silently rewrite a published contract.
    Returns the paths written, sorted.
    """
    from contracts.asyncapi import asyncapi_document  # late: asyncapi imports this module's helpers

    out_dir = Path(out_dir)
    planned: dict[Path, str] = {}
    for event_type in REGISTRY.types():
        path = out_dir / schema_filename(event_type)
        schema = event_schema(event_type)
        if path.exists() and not allow_breaking:
            problems = find_incompatibilities(json.loads(path.read_text(encoding="utf-8")), schema)
            if problems:
                raise IncompatibleSchemaChange(event_type, problems)
        planned[path] = render_json(schema)
    planned[out_dir / ASYNCAPI_FILENAME] = render_json(asyncapi_document())
    out_dir.mkdir(parents=True, exist_ok=True)
    for path, text in planned.items():
        path.write_bytes(text.encode("utf-8"))
    return sorted(planned)
