"""A bulk import read by a second process (``hub.core.bulk_stream``) journals exactly what the same import in one
process journals: the same events in the same order, the same dead letters with their lines, nothing new when the
file comes again, the good records of a truncated file then one dead letter saying where it broke. A connector
whose records cannot be pickled still imports everything (the parent reads the rest itself), and a reader that
crashes is an error naming it, never a silent short import."""

from __future__ import annotations

import gc
import json
import os
import pickle
import subprocess
import sys
import time
from contextlib import nullcontext
from pathlib import Path

import pytest
from sqlalchemy import select

from hub import BulkRecord, Connector, DecodeError, ErrorLocation, PartnerRole
from hub.core.bulk import DeferredRecord
from hub.core.bulk_stream import deferred_at, read_chunks, shared_readers
from hub.core.importer import IMPORT_GC_THRESHOLD, BulkImporter
from hub.core.journal_schema import dead_letters, events
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.settings import HubSettings
from plugins.sne.synthetic import write_extraction


def _import(home: Path, path: Path, parallel: bool, readers: int | None = 2, share: float | None = None):
    with Hub(HubSettings(home=home, seed_examples=False), PluginHost.load(allow=["sne"])) as hub:
        result = BulkImporter(hub.ingestor, hub.connector("sne"), batch_size=40, parallel=parallel,
                              readers=readers, share=share).run(path)
        with hub.journal.engine.connect() as conn:
            journaled = [(row.type, row.source_message_id, json.loads(row.body)["data"])
                         for row in conn.execute(select(events).order_by(events.c.seq))]
            kept = [(row.line, row.reason) for row in conn.execute(select(dead_letters).order_by(dead_letters.c.id))]
    return result, journaled, kept


def _corrupt(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    marker = "<ns1:dateCreationDemande>"
    cut = text.index(marker, len(text) // 3) + len(marker)
    path.write_text(text[:cut] + "2026-13-45" + text[cut + 10:], encoding="utf-8")


def test_two_processes_journal_what_one_process_journals(tmp_path):
    path = write_extraction(tmp_path / "extraction.xml", 150, seed=11, distinct=30)
    _corrupt(path)
    thresholds = gc.get_threshold()
    one, one_events, one_kept = _import(tmp_path / "one", path, parallel=False)
    two, two_events, two_kept = _import(tmp_path / "two", path, parallel=True)
    assert (two.records, two.imported, two.rejected) == (one.records, one.imported, one.rejected) == (150, 149, 1)
    assert two_events == one_events and len(two_events) == 149
    assert two_kept == one_kept and one_kept[0][0] is not None      # the bad record's line, in both
    _, single_events, single_kept = _import(tmp_path / "single", path, parallel=True, readers=1)
    assert (single_events, single_kept) == (one_events, one_kept)
    # one reader leaving every record to the journaling process to decode: the same events, the same dead letter
    _, parent_events, parent_kept = _import(tmp_path / "parent", path, parallel=True, readers=1, share=1.0)
    assert (parent_events, parent_kept) == (one_events, one_kept)
    again, _, _ = _import(tmp_path / "two", path, parallel=True)
    assert (again.imported, again.updated, again.unchanged, again.events) == (0, 0, 149, 0)
    # the import froze what was alive and spaced the collections for its duration only: a process that imports
    # again and again still frees it, and collects as it did before
    assert gc.get_freeze_count() == 0
    assert gc.get_threshold() == thresholds


def test_the_import_spaces_collections_while_it_runs_unless_the_process_froze_objects_itself(tmp_path):
    """Collections every few demands cost the journaling process 12-30 % of its CPU; a process with its own policy
    (it froze objects) keeps it whole."""
    path = write_extraction(tmp_path / "extraction.xml", 90, seed=3, distinct=30)
    thresholds = gc.get_threshold()

    def run(home: Path) -> list[tuple[int, ...]]:
        seen: list[tuple[int, ...]] = []
        with Hub(HubSettings(home=home, seed_examples=False), PluginHost.load(allow=["sne"])) as hub:
            BulkImporter(hub.ingestor, hub.connector("sne"), batch_size=40, parallel=False).run(
                path, progress=lambda _records, _line: seen.append(gc.get_threshold()))
        return seen

    assert run(tmp_path / "a") == [(IMPORT_GC_THRESHOLD, *thresholds[1:])] * 2
    assert gc.get_threshold() == thresholds
    gc.freeze()
    try:
        assert run(tmp_path / "b") == [thresholds] * 2
        assert gc.get_freeze_count() > 0          # still frozen: the import left the process's policy alone
    finally:
        gc.unfreeze()


def test_a_truncated_file_keeps_the_good_records_then_says_where_it_broke(tmp_path):
    path = write_extraction(tmp_path / "extraction.xml", 120, seed=5, distinct=30)
    body = path.read_bytes()
    path.write_bytes(body[: int(len(body) * 0.6)])
    _, one_events, one_kept = _import(tmp_path / "one", path, parallel=False)
    _, two_events, two_kept = _import(tmp_path / "two", path, parallel=True)
    assert 0 < len(two_events) == len(one_events) < 120
    assert two_events == one_events
    assert two_kept == one_kept and len(two_kept) == 1 and "truncated" in two_kept[0][1].lower()


class _Items(Connector):
    """Records 0..n-1; from ``closure_from`` on, each carries a closure (cannot be pickled); ``crash_at`` raises."""

    name = "items"
    role = PartnerRole.FICHIER_PARTAGE

    def __init__(self, n: int, closure_from: int | None = None, crash_at: int | None = None):
        self.n, self.closure_from, self.crash_at = n, closure_from, crash_at

    def iter_bulk(self, path: Path):
        for index in range(self.n):
            if index == self.crash_at:
                raise ZeroDivisionError("a bug in the connector")
            build = (lambda previous: []) if self.closure_from is not None and index >= self.closure_from else list
            yield BulkRecord(key=str(index), fingerprint=str(index), build=build, line=index + 1)


def test_records_that_cannot_be_pickled_are_read_here_without_loss_or_duplicate(tmp_path):
    with pytest.raises((pickle.PicklingError, AttributeError, TypeError)):
        pickle.dumps(BulkRecord(key="k", fingerprint="f", build=lambda previous: []))
    chunks = list(read_chunks(_Items(95, closure_from=50), tmp_path / "x", 20, parallel=True))
    assert [item.key for chunk in chunks for item in chunk] == [str(i) for i in range(95)]


def test_a_reader_that_crashes_is_an_error_naming_its_cause(tmp_path):
    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug in the connector"):
        for _chunk in read_chunks(_Items(95, crash_at=61), tmp_path / "x", 20, parallel=True):
            pass


class _Shared(_Items):
    """Records 0..n-1 read by two processes (``iter_bulk_shard``): each record says which process decoded it; the
    file is damaged at ``damaged_at`` (raised by whichever reader reaches it, as a parser would)."""

    def __init__(self, n: int, damaged_at: int | None = None, crash_at: int | None = None):
        super().__init__(n, crash_at=crash_at)
        self.damaged_at = damaged_at

    def iter_bulk(self, path: Path):
        return self.iter_bulk_shard(path, lambda position: True)

    def iter_bulk_shard(self, path: Path, owned):
        for index in range(self.n):
            if index == self.damaged_at:
                raise DecodeError("the file is truncated", location=ErrorLocation(file=path.name, line=index + 1))
            if index == self.crash_at and owned(index):          # a bug in decoding this record: its reader only
                raise ZeroDivisionError("a bug in the connector")
            yield BulkRecord(key=str(index), fingerprint=str(os.getpid()), build=list, line=index + 1) \
                if owned(index) else None


@pytest.mark.parametrize("damaged_at", [None, 60, 67, 80, 95])
def test_two_readers_decode_every_other_chunk_and_yield_what_one_reader_does(tmp_path, damaged_at):
    def read(parallel: bool):
        chunks: list[list[BulkRecord]] = []
        with pytest.raises(DecodeError) if damaged_at is not None else nullcontext() as failure:
            for chunk in read_chunks(_Shared(100, damaged_at), tmp_path / "x", 20, parallel=parallel, readers=2):
                chunks.append(chunk)
        return chunks, failure and str(failure.value)

    here, here_error = read(parallel=False)
    shared, shared_error = read(parallel=True)
    assert [[item.key for item in chunk] for chunk in shared] == [[item.key for item in chunk] for chunk in here]
    assert shared_error == here_error
    assert sum(map(len, shared)) == (damaged_at if damaged_at is not None else 100)
    decoders = [{item.fingerprint for item in chunk} for chunk in shared]
    assert all(len(by) == 1 for by in decoders)                     # a chunk is decoded by one reader
    assert decoders[0] != decoders[1] and decoders[0] == decoders[2]    # every other chunk, by two processes
    assert str(os.getpid()) not in set().union(*decoders)


def test_a_shared_reader_that_crashes_is_an_error_naming_its_cause(tmp_path):
    with pytest.raises(RuntimeError, match="ZeroDivisionError: a bug in the connector"):
        for _chunk in read_chunks(_Shared(100, crash_at=71), tmp_path / "x", 20, parallel=True, readers=2):
            pass


class _Later(DeferredRecord):
    """A record left undecoded by the reader: decoded, it says which process decoded it."""

    def __init__(self, index: int):
        self.index = index

    def decode(self) -> BulkRecord:
        return BulkRecord(key=str(self.index), fingerprint=str(os.getpid()), build=list, line=self.index + 1)


class _Split(_Shared):
    """Records 0..n-1, those ``defer`` accepts left to the journaling process (``iter_bulk_split``)."""

    def iter_bulk_split(self, path: Path, defer):
        for index, item in enumerate(self.iter_bulk(path)):
            yield _Later(index) if defer(index) else item


@pytest.mark.parametrize("damaged_at", [None, 61, 80])
def test_one_reader_leaves_a_share_of_the_decoding_to_the_journaling_process(tmp_path, damaged_at):
    def read(parallel: bool, share: float | None = None, readers: int = 1):
        chunks: list[list[BulkRecord]] = []
        with pytest.raises(DecodeError) if damaged_at is not None else nullcontext() as failure:
            for chunk in read_chunks(_Split(100, damaged_at), tmp_path / "x", 20, parallel=parallel,
                                     readers=readers, share=share):
                chunks.append(chunk)
        return chunks, failure and str(failure.value)

    here, here_error = read(parallel=False)
    split, split_error = read(parallel=True, share=0.25)
    assert [[item.key for item in chunk] for chunk in split] == [[item.key for item in chunk] for chunk in here]
    assert split_error == here_error
    by_parent = [int(item.key) for chunk in split for item in chunk if item.fingerprint == str(os.getpid())]
    assert by_parent == [p for p in range(damaged_at or 100) if deferred_at(0.25)(p)] and len(by_parent) >= 15
    for share, readers in ((0.0, 1), (0.25, 2)):     # none asked, or two readers: the readers decode everything
        chunks, _ = read(parallel=True, share=share, readers=readers)
        assert str(os.getpid()) not in {item.fingerprint for chunk in chunks for item in chunk}


def test_the_share_left_to_the_journaling_process_is_spread_evenly():
    for share in (0.25, 0.28, 1.0):
        taken = [deferred_at(share)(position) for position in range(1000)]
        assert sum(taken) == int(1000 * share)
        assert all(sum(taken[start:start + 100]) in (int(100 * share), int(100 * share) + 1)
                   for start in range(0, 900, 100))


@pytest.mark.parametrize(("cores", "load", "expected"), [(2, 0.1, 2), (2, 0.9, 1), (2, 6.5, 1), (8, 5.0, 2)])
def test_a_second_reader_only_when_the_machine_has_cores_to_spare(monkeypatch, cores, load, expected):
    monkeypatch.setattr(os, "cpu_count", lambda: cores)
    monkeypatch.setattr(os, "getloadavg", lambda: (load, load, load))
    assert shared_readers() == expected


_KILLED_MIDWAY = r"""
import multiprocessing, os, signal, sys
from pathlib import Path
from hub.core.importer import IMPORT_GC_THRESHOLD, BulkImporter
from hub.core.plugins import PluginHost
from hub.core.runtime import Hub
from hub.settings import HubSettings

def progress(records, line):
    if records >= 80:                       # two chunks journaled, the reader busy with the next ones
        print("READERS", *(p.pid for p in multiprocessing.active_children()), flush=True)
        os.kill(os.getpid(), signal.SIGKILL)

with Hub(HubSettings(home=Path(sys.argv[1]), seed_examples=False), PluginHost.load(allow=["sne"])) as hub:
    BulkImporter(hub.ingestor, hub.connector("sne"), batch_size=40, parallel=True,
                 readers=2).run(Path(sys.argv[2]), progress)
"""


def test_killed_midway_the_readers_go_too_and_the_next_import_completes_without_duplicates(tmp_path):
    path = write_extraction(tmp_path / "extraction.xml", 200, seed=13, distinct=40)
    home = tmp_path / "home"
    killed = subprocess.run([sys.executable, "-c", _KILLED_MIDWAY, str(home), str(path)], capture_output=True,
                            text=True, timeout=120, cwd=Path(__file__).resolve().parents[2], check=False)
    assert killed.returncode == -9, killed.stderr[-2000:]
    [line] = [line for line in killed.stdout.splitlines() if line.startswith("READERS")]
    readers = [int(pid) for pid in line.split()[1:]]
    assert len(readers) == 2                                  # the SNE connector shares the reading (ShardedBulk)
    deadline = time.monotonic() + 15
    while any(map(_running, readers)) and time.monotonic() < deadline:   # each notices its parent is gone
        time.sleep(0.2)
    assert not any(map(_running, readers))
    with Hub(HubSettings(home=home, seed_examples=False), PluginHost.load(allow=["sne"])) as hub:
        before = hub.journal.count_events()
        result = BulkImporter(hub.ingestor, hub.connector("sne"), batch_size=40, parallel=True).run(path)
        assert 80 <= before < 200
        assert (result.imported, result.unchanged) == (200 - before, before)
        assert hub.journal.count_events() == 200


def _running(pid: int) -> bool:
    """Alive and not a zombie (a container's first process may never reap an orphan)."""
    try:
        with open(f"/proc/{pid}/status") as status:
            return not any(line.startswith("State:") and "Z" in line.split()[1] for line in status)
    except FileNotFoundError:
        return False
