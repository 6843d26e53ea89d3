"""The bulk import's output, pinned: every record of a seeded extraction keeps the fingerprint and the events it had
before the reader was made faster (``bulk_golden.json``, written by the code of 2026-12-02).

Why: the bulk reader is tuned for speed (the element reader of :mod:`plugins.sne.xmlutil`, the demand mapping), and
a change there that altered one decoded value would re-import a whole department as "modified" the next night. The
fingerprint is the SHA-256 of the demand's canonical JSON, so it pins every decoded field; the events' digest pins
the rest (type, subject, entity, guichet, dates, sourcemessageid).

Run ``PYTHONPATH=. .venv/bin/python tests/plugins/sne/test_sne_bulk_golden.py`` to rewrite the file after an
intended change of the mapping, and say why in the commit."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sne_support import make_connector

from hub import BulkRecord
from plugins.sne.synthetic import write_extraction

GOLDEN = Path(__file__).with_name("bulk_golden.json")
SEED, COUNT = 18, 150


def _events_digest(record: BulkRecord) -> str:
    """Both events a record can give (registered, modified), without the attributes drawn at build time (id,
    time of the fact when it is now)."""
    texts = [event.model_dump_json(include={"type", "subject", "entity", "data", "sourcemessageid"})
             for event in (*record.build(None), *record.build("sha256:previous"))]
    return hashlib.sha256("\n".join(texts).encode()).hexdigest()


def bulk_outputs(tmp: Path) -> list[list[str]]:
    """``[key, fingerprint, events digest]`` per record of the seeded extraction, in file order."""
    path = write_extraction(tmp / "golden-extraction.xml", COUNT, seed=SEED, distinct=COUNT)
    outputs = []
    for record in make_connector(tmp).iter_bulk(path):
        assert isinstance(record, BulkRecord), record
        outputs.append([record.key, record.fingerprint, _events_digest(record)])
    return outputs


def test_bulk_records_and_events_are_unchanged(tmp_path: Path) -> None:
    expected = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert (expected["seed"], expected["count"]) == (SEED, COUNT)
    got = bulk_outputs(tmp_path)
    changed = [key for (key, *want), (_, *have) in zip(expected["records"], got) if want != have]
    assert len(got) == len(expected["records"]) and not changed, f"records decoded differently: {changed[:5]}"


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        GOLDEN.write_text(json.dumps({"seed": SEED, "count": COUNT, "records": bulk_outputs(Path(tmp))}, indent=0)
                          + "\n", encoding="utf-8")
