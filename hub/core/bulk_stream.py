"""Reading a bulk file in a second process while this one journals: both cores work on an import.

Why: profiled, an SNE import spends about three quarters of its CPU reading (XML parse, XSD validation, mapping to
the contract, fingerprint) and a quarter journaling; in one interpreter the two take turns. Here a forked child
runs ``Connector.iter_bulk`` and sends its items, pickled, a chunk at a time through a bounded queue (``depth``
chunks at most in flight, so memory stays flat whatever the file's size), while the parent looks up fingerprints,
builds and journals them as before. Only the parent writes: idempotence, dead letters and resuming after a crash
are the single-process import's, unchanged (a chunk is journaled in the order the file holds it).

Items must be picklable (``BulkRecord.build`` a module-level function or an object, not a closure). When a chunk is
not, the child says so and the parent reads the rest of the file itself, skipping the items already received: a
connector that never thought of it simply imports in one process. Damage to the file (``RejectError`` raised by
``iter_bulk``) reaches the caller after the good chunks before it, as in one process.

Two readers when the connector can share the work (:class:`~hub.core.bulk.ShardedBulk`) and the machine has
cores to spare: profiled, one reader was the bottleneck (decoding ~1.5 × the parent's journaling per record) while
the parent idled a third of the time.
Each reader then parses the whole file (cheap, in C) but decodes only every other chunk — chunk ``i`` belongs to
reader ``i % 2`` — and the parent takes chunk ``i`` from reader ``i % 2``'s queue: the order journaled, the chunks'
boundaries and every message (end, damage, crash) are those of one reader, only the decoding is split. After a short
chunk (the file's last, or the one damage cut short) the parent hears only that chunk's reader, which has the last
word (end of file or the damage): what the other reader says past that point is never taken.

The parent decodes a share of the records when one reader runs (a busy machine, the usual case) and the connector
can leave records undecoded (:class:`~hub.core.bulk.SplitBulk`): profiled, the reader spent ~240 µs per record and
the parent ~140 µs, waiting the rest. The reader then parses and serialises every record but leaves a share of them
(:data:`PARENT_SHARE`, spread evenly) undecoded, as a :class:`~hub.core.bulk.DeferredRecord` the parent
decodes when it takes the chunk, before journaling it: chunks, order and every item are those of one reader.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
import queue
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from hub.core.bulk import DeferredRecord, ShardedBulk, SplitBulk
from hub.core.connector import Connector
from hub.core.errors import RejectError

__all__ = ["read_chunks"]

_CHUNK, _END, _FAILED, _UNPICKLABLE, _CRASHED = range(5)


#: Readers of a connector that can share the work: the parent and two readers keep two cores busy (profiled, a
#: reader's decoding costs about 1.5 × the parent's journaling of the same record).
SHARED_READERS = 2
#: Cores the import's three processes need free for a second reader to pay: it parses the whole file again (4–16 %
#: more CPU in all, measured), which is a gain only where a core would otherwise idle; on a busy machine (a hub
#: running beside the import, other work) one reader was measured faster.
FREE_CORES_FOR_TWO = 1.5
#: Share of the records the parent decodes itself when one reader runs (SplitBulk). Measured (SNE, 5,000 demands,
#: CPU seconds parent / reader): 0.20 → 0.98 / 1.26, 0.90 / 1.13; 0.28 → 1.09 / 1.16, 0.99 / 1.05; 0.35 → 1.06 /
#: 1.01, 1.04 / 1.00; without: 0.89 / 1.65, 0.68 / 1.25. The reader spends ~66 µs per record it leaves (parse,
#: serialisation) against ~235 µs per record it decodes; the parent ~190 µs to decode one (parse again included).
#: Since the parent builds a record it decoded from the demand it validated (no second validation), a record costs
#: it ~30 µs less and 0.40 balances the two (CPU µs per demand parent / reader, same minutes, machine ~3 × slower
#: than quiet: 0.30 → 693 / 770, 682 / 826; 0.40 → 668 / 649, 700 / 705; 0.45 → 871 / 697, 612 / 559).
PARENT_SHARE = 0.40


def read_chunks(connector: Connector, path: Path, size: int, *, parallel: bool = True, depth: int = 4,
                readers: int | None = None, share: float | None = None) -> Iterator[list[Any]]:
    """``connector.iter_bulk(path)`` in lists of ``size`` items; read by child processes when ``parallel`` (and
    the platform can fork), else here. Raises what ``iter_bulk`` raises, after yielding the items before it.
    ``readers``: how many child processes share the reading (a connector without ``iter_bulk_shard`` has one);
    None chooses by the machine's idle cores (:func:`shared_readers`). ``share``: of the records, the part this
    process decodes when one reader runs and the connector can leave records undecoded (:class:`SplitBulk`);
    None is :data:`PARENT_SHARE`, 0 leaves all to the reader."""
    if parallel and "fork" in multiprocessing.get_all_start_methods():
        count = 1 if not isinstance(connector, ShardedBulk) else readers or shared_readers()
        split = PARENT_SHARE if share is None else share
        if count > 1 or not isinstance(connector, SplitBulk):
            split = 0.0
        yield from _from_children(connector, path, size, max(1, depth // count), count, split)
    else:
        yield from _here(connector, path, size)


def shared_readers() -> int:
    """Two readers when about two cores are idle (the load average of the last minute says how many are busy),
    else one."""
    try:
        free = (os.cpu_count() or 1) - os.getloadavg()[0]
    except OSError:              # no load average on this platform
        return 1
    return SHARED_READERS if free >= FREE_CORES_FOR_TWO else 1


def _here(connector: Connector, path: Path, size: int, skip: int = 0) -> Iterator[list[Any]]:
    chunk: list[Any] = []
    try:
        for item in itertools.islice(connector.iter_bulk(path), skip, None):
            chunk.append(item)
            if len(chunk) >= size:
                yield chunk
                chunk = []
    except RejectError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def deferred_at(share: float) -> Callable[[int], bool]:
    """Which 0-based positions the parent decodes: evenly spread, ``share`` of them (one in four at 0.25)."""
    return lambda position: int((position + 1) * share) != int(position * share)


def _decoded(chunk: list[Any]) -> list[Any]:
    """The chunk with the records the reader left undecoded decoded here, in place."""
    return [item.decode() if isinstance(item, DeferredRecord) else item for item in chunk]


def _from_children(connector: Connector, path: Path, size: int, depth: int, count: int,
                   share: float = 0.0) -> Iterator[list[Any]]:
    context = multiprocessing.get_context("fork")
    channels = [context.Queue(maxsize=depth) for _ in range(count)]
    readers = [context.Process(target=_produce, args=(connector, path, size, channel, os.getpid(), shard, count,
                                                      share),
                               name=f"relais-import-{connector.name}-{shard}", daemon=True)
               for shard, channel in enumerate(channels)]
    for reader in readers:
        reader.start()
    try:
        index = 0                             # of the chunk awaited; after a short one, its reader has the last word
        while True:
            channel, reader = channels[index % count], readers[index % count]
            while True:
                try:
                    kind, payload = channel.get(timeout=1.0)
                    break
                except queue.Empty:
                    if not reader.is_alive():
                        raise RuntimeError(f"the process reading {path.name} ended without a word "
                                           f"(exit code {reader.exitcode})") from None
            if kind == _CHUNK:
                chunk = pickle.loads(payload)
                index += len(chunk) == size
                yield _decoded(chunk) if share else chunk
            elif kind == _END:
                return
            elif kind == _FAILED:
                raise pickle.loads(payload)
            elif kind == _UNPICKLABLE:
                yield from _here(connector, path, size, skip=payload)
                return
            else:
                raise RuntimeError(f"the process reading {path.name} failed:\n{payload}")
    finally:
        for reader in readers:
            if reader.is_alive():
                reader.terminate()
        for reader, channel in zip(readers, channels):
            reader.join(timeout=10)
            channel.close()


def _items(connector: Connector, path: Path, owned: Callable[[int], bool], count: int,
           share: float) -> Iterator[Any]:
    """What a reader reads: the whole file, its shard of it, or the whole file leaving ``share`` to the parent."""
    if count > 1:
        return connector.iter_bulk_shard(path, owned)      # type: ignore[attr-defined]
    if share:
        return connector.iter_bulk_split(path, deferred_at(share))      # type: ignore[attr-defined]
    return connector.iter_bulk(path)


def _produce(connector: Connector, path: Path, size: int, channel: Any, parent: int, shard: int,
             count: int, share: float = 0.0) -> None:
    """A reader: read, pickle, send the chunks ``shard``, ``shard + count``… A watchdog ends it as soon as the
    parent is gone (killed mid-import): a full queue, or the queue's feeder flushing into a pipe nobody reads,
    would otherwise keep it forever."""

    def watchdog() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watchdog, name="parent-watchdog", daemon=True).start()

    def owned(position: int) -> bool:
        return (position // size) % count == shard

    def send(chunk: list[Any], first: int) -> bool:
        try:
            data = pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)
        except (pickle.PicklingError, TypeError, AttributeError):
            channel.put((_UNPICKLABLE, first))
            return False
        channel.put((_CHUNK, data))
        return True

    position = 0                          # of the next item in the file, whoever decodes it
    try:
        chunk: list[Any] = []
        try:
            for item in _items(connector, path, owned, count, share):
                position += 1
                if not owned(position - 1):
                    continue
                chunk.append(item)
                if len(chunk) >= size:
                    if not send(chunk, position - size):
                        return
                    chunk = []
        except RejectError as exc:
            if not chunk or send(chunk, position - len(chunk)):
                channel.put((_FAILED, pickle.dumps(exc)))
            return
        if not chunk or send(chunk, position - len(chunk)):
            channel.put((_END, None))
    except BaseException:   # noqa: BLE001 - the parent re-raises it with the child's traceback
        channel.put((_CRASHED, traceback.format_exc()))
