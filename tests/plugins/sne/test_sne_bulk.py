"""Bulk import of an SNE extraction (``SneConnector.iter_bulk``): one BulkRecord per demand with a stable
fingerprint, registration vs modification decided by the previous fingerprint, bad records rejected with their line
while the import goes on, damage to the file raised after the good records, memory flat whatever the size."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from sne_support import SNE_ENTITY

from hub import BulkRecord, ContractError, DecodeError, RawMessage, RecordReject
from plugins.sne.synthetic import write_extraction


@pytest.fixture(scope="module")
def extraction(tmp_path_factory) -> Path:
    return write_extraction(tmp_path_factory.mktemp("bulk") / "extraction.xml", 120, seed=3, distinct=40)


def _records(connector, path: Path) -> list[BulkRecord | RecordReject]:
    return list(connector.iter_bulk(path))


def test_every_demand_becomes_a_record(connector, extraction: Path) -> None:
    records = _records(connector, extraction)
    assert len(records) == 120
    assert all(isinstance(r, BulkRecord) for r in records)
    assert len({r.key for r in records}) == 120
    first = records[0]
    assert first.line == extraction.read_bytes()[: extraction.read_bytes().index(b"<ns1:demande>")].count(b"\n") + 1
    assert first.raw.startswith(b"<ns1:demande") and first.key.encode() in first.raw
    assert first.fingerprint.startswith("sha256:")


def test_build_registers_a_new_key_and_modifies_a_known_one(connector, extraction: Path) -> None:
    record = _records(connector, extraction)[0]
    [registered] = record.build(None)
    assert registered.type == "demande_enregistree.v1"
    assert registered.subject == record.key
    assert registered.data.date_enregistrement == registered.data.demande.date_enregistrement
    assert registered.entity.siren != SNE_ENTITY.siren     # the extraction's emetteur wins over the setting
    [modified] = record.build("sha256:before")
    assert modified.type == "demande_modifiee.v1"
    assert modified.data.demande == registered.data.demande
    assert modified.data.auteur.value == "guichet" and modified.data.guichet == "G6301"
    assert modified.data.date_modification.isoformat() == "2026-01-05"   # the extraction's date
    assert registered.sourcemessageid == modified.sourcemessageid == f"sne:{record.key}:{record.fingerprint[7:27]}"


def test_bulk_and_unit_decoding_agree(connector, extraction: Path) -> None:
    """The same demand gives the same event whether it comes in a unit message or an extraction."""
    record = _records(connector, extraction)[5]
    unit = extraction.read_bytes().split(b"<ns1:demande>")[0] + record.raw + b"</ns1:interfaceNuu>"
    [event] = list(connector.decode(RawMessage.from_bytes(unit, origin="unit.xml")))
    assert event.data == record.build(None)[0].data


def test_fingerprint_is_the_content_not_the_layout(connector, extraction: Path, tmp_path: Path) -> None:
    body = extraction.read_bytes()
    compact = tmp_path / "compact.xml"
    compact.write_bytes(b"\n".join(line.strip() for line in body.split(b"\n")))
    assert [r.fingerprint for r in _records(connector, extraction)] == \
        [r.fingerprint for r in _records(connector, compact)]
    changed = tmp_path / "changed.xml"
    changed.write_bytes(body.replace(b"<ns1:surface>", b"<ns1:surface>1", 1))
    before, after = _records(connector, extraction), _records(connector, changed)
    differing = [a.key for a, b in zip(before, after) if a.fingerprint != b.fingerprint]
    assert len(differing) == 1


def _insert_after_record(body: bytes, index: int, extra: bytes) -> bytes:
    position = 0
    for _ in range(index + 1):
        position = body.index(b"</ns1:demande>", position) + len(b"</ns1:demande>")
    return body[:position] + b"\n" + extra + body[position:]


def test_bad_records_are_rejected_and_the_import_goes_on(connector, extraction: Path, tmp_path: Path) -> None:
    body = extraction.read_bytes()
    one = body[body.index(b"<ns1:demande>"): body.index(b"</ns1:demande>") + len(b"</ns1:demande>")]
    invalid = one.replace(b'<ns1:civilite code="', b'<ns1:civilite code="9', 1)
    incoherent = one.replace(b"<ns1:dateCreationDemande>", b"<ns1:dateCreationDemande>1", 1) \
        if b"<ns1:dateDepot>" not in one else one.replace(b"<ns1:dateDepot>", b"<ns1:dateDepot>2", 1)
    radiation = (b'<ns1:radiation><ns1:numUnique>0630124000001G6301</ns1:numUnique><ns1:dateRadiation>2025-01-01'
                 b'</ns1:dateRadiation><ns1:motifRadiation code="RADABA"/></ns1:radiation>')
    damaged = _insert_after_record(body, 2, invalid)
    damaged = _insert_after_record(damaged, 10, incoherent)
    damaged = _insert_after_record(damaged, 20, radiation)
    path = tmp_path / "damaged.xml"
    path.write_bytes(damaged)
    records = _records(connector, path)
    rejects = [r for r in records if isinstance(r, RecordReject)]
    assert len(records) == 123 and len(rejects) == 3
    assert [records.index(r) for r in rejects] == [3, 11, 21]
    xsd, contract, kind = (r.error for r in rejects)
    assert isinstance(xsd, DecodeError) and "civilite" in xsd.location.field and xsd.location.record == 4
    assert xsd.location.line == damaged[: damaged.index(b'code="9')].count(b"\n") + 1
    assert isinstance(contract, ContractError) or "date" in contract.reason
    assert "demande records only" in kind.reason and kind.location.field == "radiation"
    assert all(r.raw for r in rejects) and all(r.line for r in rejects)


def test_truncated_extraction_yields_the_good_records_then_fails(connector, extraction: Path,
                                                                 tmp_path: Path) -> None:
    body = extraction.read_bytes()
    cut = tmp_path / "cut.xml"
    cut.write_bytes(body[: len(body) // 2])
    seen = []
    with pytest.raises(DecodeError, match="truncated XML") as info:
        for record in connector.iter_bulk(cut):
            seen.append(record)
    complete = body[: len(body) // 2].count(b"</ns1:demande>")
    assert 0 < complete < 120 and len(seen) == complete   # every record before the cut, then the error
    assert info.value.location.file == "cut.xml"


@pytest.mark.parametrize("change, message", [
    ((b"http://nuu.application.i2/", b"urn:autre"), "wrong namespace"),
    ((b'versionInterface="02.01"', b'versionInterface="01.00"'), "versionInterface '01.00'"),
    ((b"?>\n", b'?>\n<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>\n'), "DOCTYPE"),
])
def test_unusable_extraction_fails_before_any_record(connector, extraction: Path, tmp_path: Path,
                                                     change: tuple[bytes, bytes], message: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_bytes(extraction.read_bytes().replace(*change, 1))
    with pytest.raises(DecodeError, match=message):
        next(iter(connector.iter_bulk(path)))


_RSS_PROBE = """
import resource, sys
from pathlib import Path
from plugins.sne.synthetic import write_extraction
from hub.xml_safe import iter_records
from plugins.sne.schema import q
path = write_extraction(Path(sys.argv[1]), int(sys.argv[2]), seed=1, distinct=50)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for record in iter_records(path, tags={q("demande")}, origin=path.name):
    pass
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base)
"""


def test_streaming_memory_does_not_grow_with_the_file(tmp_path: Path) -> None:
    """Peak RSS growth while streaming 1,000 vs 10,000 demands (2 MB vs 20 MB of XML), each in a fresh process."""
    def growth(count: int) -> int:
        out = subprocess.run([sys.executable, "-c", _RSS_PROBE, str(tmp_path / f"{count}.xml"), str(count)],
                             capture_output=True, text=True, check=True, timeout=120)
        return int(out.stdout.strip())

    small, large = growth(1_000), growth(10_000)
    assert large < small + 8 * 1024, f"RSS grew by {small} KiB for 1k records and {large} KiB for 10k"
