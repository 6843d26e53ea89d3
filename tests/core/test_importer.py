"""Bulk import: chunked, idempotent, continues past bad records, and counts what it did."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from contracts import REGISTRY, DecisionCal, LegalEntity
from hub import BulkRecord, Connector, DecodeError, ErrorLocation, PartnerRole, RecordReject, hookimpl
from hub.core.importer import BulkImporter
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from tests.factories import decision

ENTITY = LegalEntity(siren="276300019", nom="Fichier de test")


class JsonLinesConnector(Connector):
    """A test connector: one decision per line; a line that is not JSON is a bad record."""

    name = "jsonl"
    role = PartnerRole.FICHIER_PARTAGE
    emits = ("decision_cal.*",)

    def iter_bulk(self, path: Path):
        with path.open("rb") as fh:
            for line_no, line in enumerate(fh, start=1):
                try:
                    obj = json.loads(line)
                except ValueError:
                    yield RecordReject(DecodeError("not a JSON object", location=ErrorLocation(line=line_no)),
                                       line=line_no, raw=line)
                    continue
                key = obj.pop("id")
                fp = hashlib.sha256(json.dumps(obj, sort_keys=True).encode()).hexdigest()

                def build(previous, obj=obj, key=key, fp=fp):
                    return [REGISTRY.build(DecisionCal.model_validate(obj), source=self.name, entity=ENTITY,
                                           sourcemessageid=f"{key}:{fp}")]
                yield BulkRecord(key=key, fingerprint=fp, build=build, line=line_no, raw=line)


class _Plugin:
    @hookimpl
    def relais_register_connectors(self, register):
        register(JsonLinesConnector)


def write(path: Path, rows: list[dict], bad_lines: dict[int, str] | None = None) -> Path:
    lines = [json.dumps(r) for r in rows]
    for index, text in (bad_lines or {}).items():
        lines.insert(index, text)
    path.write_text("\n".join(lines) + "\n")
    return path


def test_import_then_reimport_is_idempotent_and_updates_are_counted(hub_settings, tmp_path):
    host = PluginHost.load(allow=["habisoft"])
    host.register(_Plugin(), "jsonl_test")
    rows = [decision() for _ in range(1200)]
    rows[10]["rang"] = 0           # invalid: rang must be ≥ 1 → rejected at build, with its line
    with Hub(hub_settings, host) as hub:
        importer = BulkImporter(hub.ingestor, hub.connector("jsonl"), batch_size=250)
        first = importer.run(write(tmp_path / "x.jsonl", rows, {500: "{truncated"}))
        assert (first.records, first.imported, first.updated, first.unchanged, first.rejected) == (1201, 1199, 0, 0, 2)
        dead = hub.journal.dead_letters(connector="jsonl")
        assert sorted(d["line"] for d in dead) == [11, 501]
        assert {d["field"] for d in dead if d["line"] == 11} == {"rang"}

        again = importer.run(tmp_path / "x.jsonl")
        assert (again.imported, again.updated, again.unchanged, again.rejected) == (0, 0, 1199, 2)
        assert hub.journal.count_events() == 1199

        rows[3]["decision"], rows[3]["rang"] = "attribution_rang", 2
        changed = importer.run(write(tmp_path / "y.jsonl", rows))
        assert (changed.updated, changed.unchanged) == (1, 1198)
        assert hub.journal.count_events() == 1200
