"""Bulk import of a Habisoft extraction (demandeEnregistree snapshots), streamed."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from hub import BulkRecord, DecodeError, RecordReject
from plugins.habisoft.codec import new_document, write_evenement


@pytest.fixture
def extraction(tmp_path: Path) -> Path:
    from plugins.sne.synthetic import SyntheticSne

    source = SyntheticSne(11)
    events = [source.enregistree() for _ in range(30)]
    root = new_document(events[0].time)
    for event in events:
        write_evenement(root, event)
    path = tmp_path / "habisoft-extraction.xml"
    path.write_bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return path


def test_records_and_builds(habisoft, extraction: Path) -> None:
    records = list(habisoft.iter_bulk(extraction))
    assert len(records) == 30 and all(isinstance(r, BulkRecord) for r in records)
    [registered] = records[0].build(None)
    [modified] = records[0].build("sha256:old")
    assert (registered.type, modified.type) == ("demande_enregistree.v1", "demande_modifiee.v1")
    assert registered.source == modified.source == "habisoft"
    assert modified.data.demande == registered.data.demande
    assert len({r.fingerprint for r in records}) == 30


def test_bad_record_and_other_kinds_are_rejected(habisoft, extraction: Path, tmp_path: Path) -> None:
    body = extraction.read_bytes()
    body = body.replace(b'<hab:civilite code="', b'<hab:civilite code="x', 1)
    path = tmp_path / "bad.xml"
    path.write_bytes(body)
    records = list(habisoft.iter_bulk(path))
    rejects = [r for r in records if isinstance(r, RecordReject)]
    assert len(records) == 30 and len(rejects) == 1
    assert rejects[0].error.location.record == 1 and "civilite" in rejects[0].error.location.field


def test_truncated(habisoft, extraction: Path, tmp_path: Path) -> None:
    path = tmp_path / "cut.xml"
    path.write_bytes(extraction.read_bytes()[:-2000])
    with pytest.raises(DecodeError, match="truncated XML"):
        list(habisoft.iter_bulk(path))
