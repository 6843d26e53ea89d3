"""A record's ``build`` validates its demand once per process: the process that decoded the record builds from the
``Demande`` it validated; a record pickled to another process carries only the demand's JSON, validated there.

Why it matters to a user: the events must not depend on which process built them (the journaling process builds
records decoded by the reader and records it decoded itself), and a demand must never reach the journal without
having been validated by the process that journals it or by the one that decoded it."""

from __future__ import annotations

import pickle
from pathlib import Path

from test_sne_bulk_golden import COUNT, SEED, _events_digest

from contracts import Demande
from hub import BulkRecord
from plugins.sne.synthetic import write_extraction


def _records(connector, tmp_path: Path) -> list[BulkRecord]:
    path = write_extraction(tmp_path / "extraction.xml", COUNT, seed=SEED, distinct=COUNT)
    records = list(connector.iter_bulk(path))
    assert all(isinstance(r, BulkRecord) for r in records)
    return records


def test_the_decoding_process_builds_from_the_demand_it_validated(connector, tmp_path: Path) -> None:
    for record in _records(connector, tmp_path)[:20]:
        demande = record.build.validated
        assert isinstance(demande, Demande)
        # the kept demand is the one its JSON (what the fingerprint hashes, what another process receives) gives
        assert demande.model_dump_json() == record.build.demande_json
        assert Demande.model_validate_json(record.build.demande_json) == demande
        assert record.build(None)[0].data.demande is demande


def test_a_pickled_record_carries_only_the_json_and_builds_the_same_events(connector, tmp_path: Path) -> None:
    records = _records(connector, tmp_path)
    sent = pickle.loads(pickle.dumps(records, protocol=pickle.HIGHEST_PROTOCOL))
    assert b"Demande" not in pickle.dumps(records[0].build, protocol=pickle.HIGHEST_PROTOCOL)
    assert all(r.build.validated is None for r in sent)
    assert [_events_digest(r) for r in sent] == [_events_digest(r) for r in records]
    assert [(r.key, r.fingerprint, r.build) for r in sent] == [(r.key, r.fingerprint, r.build) for r in records]
