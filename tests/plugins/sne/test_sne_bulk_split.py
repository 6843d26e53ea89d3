"""Records decoded by the journaling process (``iter_bulk_split``): the same records, the same rejections.

Why: to keep both processes of an import busy, the reader leaves a share of the records undecoded and the journaling
process decodes them from their serialisation. A user must not be able to tell which process decoded a record: the
same fingerprints and events, and for a bad record the same reason at the same file, line, record and field — though
a serialised record counts its lines from 1."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import pytest
from test_sne_bulk_golden import COUNT, GOLDEN, SEED, _events_digest

from hub import BulkRecord, RecordReject
from hub.core.bulk import DeferredRecord, SplitBulk
from plugins.sne.bulk import DeferredSneRecord
from plugins.sne.synthetic import write_extraction


def _decoded_here(connector, path: Path, defer=lambda position: True) -> tuple[list, int]:
    """Every item of ``iter_bulk_split``, the deferred ones pickled together (as a chunk sent to the journaling
    process, once the reader went past them) and decoded; and how many were deferred."""
    items = pickle.loads(pickle.dumps(list(connector.iter_bulk_split(path, defer)), protocol=pickle.HIGHEST_PROTOCOL))
    deferred = sum(isinstance(item, DeferredRecord) for item in items)
    return [item.decode() if isinstance(item, DeferredRecord) else item for item in items], deferred


def _what_a_user_sees(item: BulkRecord | RecordReject) -> tuple:
    if isinstance(item, BulkRecord):
        return "record", item.key, item.fingerprint, item.line, item.raw, _events_digest(item)
    error = item.error
    return ("reject", item.line, item.raw, type(error).__name__, str(error), error.location,
            json.dumps(getattr(error, "problems", None), sort_keys=True, default=str))


def test_the_connector_can_leave_records_to_the_journaling_process(connector) -> None:
    assert isinstance(connector, SplitBulk)


def test_records_decoded_by_the_journaling_process_keep_the_golden_fingerprints_and_events(connector,
                                                                                          tmp_path: Path) -> None:
    path = write_extraction(tmp_path / "golden-extraction.xml", COUNT, seed=SEED, distinct=COUNT)
    items, deferred = _decoded_here(connector, path)
    assert deferred == COUNT
    outputs = [[r.key, r.fingerprint, _events_digest(r)] for r in items]
    assert outputs == json.loads(GOLDEN.read_text(encoding="utf-8"))["records"]


def _bad_records(body: bytes) -> dict[str, bytes]:
    one = body[body.index(b"<ns1:demande>"): body.index(b"</ns1:demande>") + len(b"</ns1:demande>")]
    return {
        "xsd": one.replace(b'<ns1:civilite code="', b'<ns1:civilite code="9', 1),
        "not canonical and invalid": one.replace(b"<ns1:civilite", b"<!-- a note -->\n<ns1:civilite", 1)
                                        .replace(b'code="', b'code="9', 1),
        "contract": one.replace(b"<ns1:dateCreationDemande>", b"<ns1:dateCreationDemande>1", 1),
        "mapping": one.replace(b"<ns1:numUnique>", b"<ns1:numUniqueX>", 1).replace(b"</ns1:numUnique>",
                                                                                 b"</ns1:numUniqueX>", 1),
        "not a demande": (b'<ns1:radiation><ns1:numUnique>0630124000001G6301</ns1:numUnique><ns1:dateRadiation>'
                          b'2025-01-01</ns1:dateRadiation><ns1:motifRadiation code="RADABA"/></ns1:radiation>'),
        "kept, not rejected": one.replace(b"<ns1:numUnique>", b"<ns1:inconnu>x</ns1:inconnu><ns1:numUnique>", 1)
                                 .replace(b"<ns1:numUnique>063", b"<ns1:numUnique>064", 1),
        # lines lxml's serialisation does not keep: a start tag over two lines, a character reference to a line feed
        "start tag over lines": one.replace(b"<ns1:demandeLogement>", b"<ns1:demandeLogement\n>", 1)
                                   .replace(b'<ns1:civilite code="', b'<ns1:civilite code="9', 1),
        "line feed reference": one.replace(b"<ns1:numUnique>", b"<ns1:numUnique>&#10;", 1)
                                  .replace(b'<ns1:civilite code="', b'<ns1:civilite code="9', 1),
    }


def _damaged(tmp_path: Path) -> tuple[Path, int]:
    path = write_extraction(tmp_path / "extraction.xml", 40, seed=5, distinct=40)
    body = path.read_bytes()
    bad = _bad_records(body)
    position = 0
    for index, record in enumerate(bad.values()):
        for _ in range(index + 2):
            position = body.index(b"</ns1:demande>", position) + len(b"</ns1:demande>")
        body = body[:position] + b"\n" + record + body[position:]
    path.write_bytes(body)
    return path, len(bad)


@pytest.mark.parametrize("every", [1, 3])
def test_a_bad_record_decoded_by_the_journaling_process_is_reported_where_the_reader_reports_it(
        connector, tmp_path: Path, every: int) -> None:
    path, bad = _damaged(tmp_path)
    by_reader = [_what_a_user_sees(item) for item in connector.iter_bulk(path)]
    items, deferred = _decoded_here(connector, path, lambda position: position % every == 0)
    assert [_what_a_user_sees(item) for item in items] == by_reader
    rejects = [r for r in by_reader if r[0] == "reject"]
    assert len(rejects) == bad - 1 and all(r[1] and r[5].line for r in rejects)
    assert len(by_reader) == 40 + bad and {r[5].line for r in rejects if "civilite" in str(r[5].field)} != {None}
    # the two records whose lines the serialisation moves are decoded by the reader, every other one was deferred
    moved = {r[5].record - 1 for r in rejects[-2:]}
    assert deferred == len([p for p in range(len(by_reader)) if p % every == 0 and p not in moved])


def test_a_deferred_record_is_small_to_send(connector, tmp_path: Path) -> None:
    """The header travels with each deferred record but is one object: pickled once per chunk, not per record."""
    path = write_extraction(tmp_path / "extraction.xml", 20, seed=2, distinct=20)
    deferred = [item for item in connector.iter_bulk_split(path, lambda position: True)]
    assert all(isinstance(item, DeferredSneRecord) for item in deferred)
    one = len(pickle.dumps(deferred[:1])) - len(deferred[0].raw)
    twenty = len(pickle.dumps(deferred)) - sum(len(item.raw) for item in deferred)
    assert twenty < 20 * one / 2


def test_a_deferred_record_keeps_the_header_it_was_read_under(connector, tmp_path: Path) -> None:
    """A second header in the file (its date is the day of the changes that do not say theirs) applies to the records
    after it only, whichever process decodes the records before it."""
    path = write_extraction(tmp_path / "extraction.xml", 12, seed=4, distinct=12)
    body = path.read_bytes()
    header = body[body.index(b"<ns1:entete>"): body.index(b"</ns1:entete>") + len(b"</ns1:entete>")]
    later = header.replace(b"<ns1:dateFichier>", b"<ns1:dateFichier>2031-01-01T00:00:00</ns1:dateFichier><x>", 1)
    later = later[:later.index(b"<x>")] + later[later.index(b"</ns1:dateFichier>", later.index(b"<x>")) +
                                                len(b"</ns1:dateFichier>"):]
    middle = body.index(b"<ns1:demande>", len(body) // 2)
    path.write_bytes(body[:middle] + later + b"\n" + body[middle:])
    by_reader = [_what_a_user_sees(item) for item in connector.iter_bulk(path)]
    items, deferred = _decoded_here(connector, path)
    assert deferred == 12 and [_what_a_user_sees(item) for item in items] == by_reader
    modified = [item.build("sha256:previous")[0].data.date_modification for item in items]
    assert modified[-1] != modified[0]         # the later header did count (checked: it would hide a shared header)
