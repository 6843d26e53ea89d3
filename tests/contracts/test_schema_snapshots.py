"""The published JSON Schema snapshots (contracts/schemas/) guard the contracts: a breaking change without a version
bump fails here; an additive change fails until the snapshots are regenerated (contracts.export.export_all).

The second half proves the guard can fail, by tampering with copies of the snapshots."""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path

import pytest

from contracts import REGISTRY
from contracts.compat import IncompatibleSchemaChange
from contracts.export import SNAPSHOT_DIR, event_schema, export_all, render_json
from contracts.registry import EventRegistry
from contracts.snapshots import check_snapshots


def test_committed_snapshots_match_the_contracts():
    problems = check_snapshots()
    assert problems == [], "\n".join(map(str, problems))


def test_one_snapshot_per_registered_type():
    names = {p.name for p in SNAPSHOT_DIR.glob("*.json")}
    assert {f"{t}.json" for t in REGISTRY.types()} <= names
    assert "asyncapi.json" in names


def test_export_is_reproducible_and_equals_the_snapshots(tmp_path):
    first = export_all(tmp_path / "a")
    second = export_all(tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    for a, b in zip(first, second):
        assert a.read_bytes() == b.read_bytes()
        assert a.read_bytes() == (SNAPSHOT_DIR / a.name).read_bytes(), f"{a.name}: snapshot out of date"
    assert len(first) == len(REGISTRY.types()) + 1


def test_export_again_into_the_same_directory_is_stable(tmp_path):
    export_all(tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    export_all(tmp_path)
    assert before == {p.name: p.read_bytes() for p in tmp_path.iterdir()}


# --- the guard can fail --------------------------------------------------------------------------------------

@pytest.fixture
def snapshots(tmp_path) -> Path:
    target = tmp_path / "schemas"
    shutil.copytree(SNAPSHOT_DIR, target)
    return target


def _edit(directory: Path, event_type: str, change) -> None:
    path = directory / f"{event_type}.json"
    schema = json.loads(path.read_text(encoding="utf-8"))
    change(schema)
    path.write_text(render_json(schema), encoding="utf-8")


def _kinds(problems):
    return {(p.event_type, p.kind) for p in problems}


def test_field_removed_from_the_model_is_breaking(snapshots):
    # The published snapshot has a field the current model no longer has.
    _edit(snapshots, "decision_cal.v1", lambda s: s["$defs"]["DecisionCal"]["properties"].__setitem__(
        "ancien_champ", {"type": "string"}))
    problems = check_snapshots(snapshots)
    assert ("decision_cal.v1", "breaking") in _kinds(problems)
    assert "ancien_champ: field removed" in str(problems)


def test_field_retyped_is_breaking(snapshots):
    _edit(snapshots, "decision_cal.v1", lambda s: s["$defs"]["DecisionCal"]["properties"].__setitem__(
        "rang", {"type": "string"}))
    assert "type changed" in str(check_snapshots(snapshots))


def test_field_newly_required_is_breaking(snapshots):
    _edit(snapshots, "bail_signe.v1", lambda s: s["$defs"]["BailSigne"]["required"].remove("date_signature"))
    assert ("bail_signe.v1", "breaking") in _kinds(check_snapshots(snapshots))


def test_enum_value_removed_is_breaking(snapshots):
    _edit(snapshots, "demande_radiee.v1", lambda s: s["$defs"]["MotifRadiation"]["enum"].append("ancien_motif"))
    problems = check_snapshots(snapshots)
    assert ("demande_radiee.v1", "breaking") in _kinds(problems) and "ancien_motif" in str(problems)


def test_current_schema_changed_is_compared_to_the_published_one(snapshots):
    current = {t: event_schema(t) for t in REGISTRY.types()}
    changed = copy.deepcopy(current["decision_cal.v1"])
    del changed["$defs"]["DecisionCal"]["properties"]["motif"]
    current["decision_cal.v1"] = changed
    assert ("decision_cal.v1", "breaking") in _kinds(check_snapshots(snapshots, current))


def test_additive_change_is_only_outdated(snapshots):
    _edit(snapshots, "bail_signe.v1", lambda s: s["$defs"]["BailSigne"]["properties"].pop("qpv"))
    assert _kinds(check_snapshots(snapshots)) == {("bail_signe.v1", "outdated")}


def test_missing_and_orphan_snapshots(snapshots):
    (snapshots / "bail_signe.v1.json").unlink()
    shutil.copy(snapshots / "decision_cal.v1.json", snapshots / "decision_cal.v0.json")
    kinds = _kinds(check_snapshots(snapshots))
    assert ("bail_signe.v1", "missing") in kinds and ("decision_cal.v0", "orphan") in kinds


def test_an_old_version_with_an_upcaster_is_not_an_orphan(tmp_path):
    snapshots = tmp_path
    shutil.copy(SNAPSHOT_DIR / "decision_cal.v1.json", snapshots / "decision_cal.v1.json")
    shutil.copy(SNAPSHOT_DIR / "decision_cal.v1.json", snapshots / "decision_cal.v0.json")
    registry = EventRegistry()
    registry.register(REGISTRY.model_for("decision_cal.v1"))
    registry.register_upcaster("decision_cal.v0", "decision_cal.v1", lambda data: data)
    assert registry.current_type("decision_cal.v0") == "decision_cal.v1"
    current = {"decision_cal.v1": event_schema("decision_cal.v1")}
    assert check_snapshots(snapshots, current, registry=registry) == []


def test_export_refuses_to_overwrite_a_published_schema_incompatibly(snapshots):
    _edit(snapshots, "decision_cal.v1", lambda s: s["$defs"]["DecisionCal"]["properties"].__setitem__(
        "ancien_champ", {"type": "string"}))
    before = {p.name: p.read_bytes() for p in snapshots.iterdir()}
    with pytest.raises(IncompatibleSchemaChange, match="decision_cal.v2"):
        export_all(snapshots)
    assert before == {p.name: p.read_bytes() for p in snapshots.iterdir()}, "nothing may be written"
    export_all(snapshots, allow_breaking=True)
    assert check_snapshots(snapshots) == []
