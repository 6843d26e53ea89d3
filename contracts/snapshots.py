"""Comparison of the committed schema snapshots (``contracts/schemas/``) with the contracts as they are now.

Why: a published event type is a promise to partners. The test suite calls :func:`check_snapshots` and fails on
any problem, so that a change reaches the repository only with its snapshot, and a breaking change only as a new
version with an upcaster. Kinds of problem:

* ``breaking``: the current schema rejects documents the snapshot accepted (see :mod:`contracts.compat`);
* ``outdated``: the schema changed compatibly (or the AsyncAPI document changed): regenerate with
  :func:`contracts.export.export_all`;
* ``missing``: a registered type has no snapshot yet: export it;
* ``orphan``: a snapshot's type is no longer registered and no upcaster leads from it to a registered type.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from contracts.compat import find_incompatibilities
from contracts.export import ASYNCAPI_FILENAME, SNAPSHOT_DIR, event_schema, render_json, schema_filename
from contracts.registry import REGISTRY, EventRegistry

__all__ = ["SnapshotProblem", "check_snapshots"]


@dataclass(frozen=True)
class SnapshotProblem:
    event_type: str
    kind: str
    detail: str

    def __str__(self) -> str:
        return f"{self.event_type}: {self.kind}: {self.detail}"


def check_snapshots(directory: Path = SNAPSHOT_DIR, current: dict[str, dict[str, Any]] | None = None, *,
                    registry: EventRegistry = REGISTRY) -> list[SnapshotProblem]:
    """Compare the snapshots in ``directory`` with ``current`` schemas (default: every type of ``registry``)."""
    problems: list[SnapshotProblem] = []
    if current is None:
        current = {event_type: event_schema(event_type) for event_type in registry.types()}
        problems.extend(_check_asyncapi(directory))
    for event_type, schema in sorted(current.items()):
        path = directory / schema_filename(event_type)
        if not path.exists():
            problems.append(SnapshotProblem(event_type, "missing", f"no {path.name}: run export_all"))
            continue
        text = path.read_text(encoding="utf-8")
        breaking = find_incompatibilities(json.loads(text), schema)
        if breaking:
            problems.append(SnapshotProblem(event_type, "breaking", "; ".join(map(str, breaking))
                                            + " — publish a new version with an upcaster instead"))
        elif text != render_json(schema):
            problems.append(SnapshotProblem(event_type, "outdated", "compatible change: run export_all"))
    for path in sorted(directory.glob("*.json")):
        if path.name == ASYNCAPI_FILENAME:
            continue
        event_type = path.name[: -len(".json")]
        if event_type not in current and registry.current_type(event_type) is None:
            problems.append(SnapshotProblem(event_type, "orphan",
                                            "published type neither registered nor upcast to a registered type"))
    return problems


def _check_asyncapi(directory: Path) -> list[SnapshotProblem]:
    from contracts.asyncapi import asyncapi_document

    path = directory / ASYNCAPI_FILENAME
    if not path.exists():
        return [SnapshotProblem(ASYNCAPI_FILENAME, "missing", "run export_all")]
    if path.read_text(encoding="utf-8") != render_json(asyncapi_document()):
        return [SnapshotProblem(ASYNCAPI_FILENAME, "outdated", "run export_all")]
    return []
