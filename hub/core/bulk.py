"""Types for bulk imports (nightly extractions of every demand of a department, up to 10⁶ records).

A connector streams a large file as :class:`BulkRecord` items; the hub groups them in chunks, looks up in one query
which keys it already knows and with which fingerprint, and only then asks the record for its events. That keeps
re-imports idempotent (an unchanged record produces nothing) without a query per record.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from contracts import Envelope
from hub.core.errors import RejectError

__all__ = ["BulkRecord", "DeferredRecord", "RecordReject", "ShardedBulk", "SplitBulk"]


@dataclass(frozen=True)
class BulkRecord:
    """One decoded record of a bulk file.

    ``key``: the record's identity in the partner system (usually the numéro unique).
    ``fingerprint``: a hash of the record's canonical content; equal fingerprints mean "unchanged".
    ``build(previous_fingerprint)``: returns the events for this record, given the fingerprint last imported for the
    key (None when the key is new) — so the connector decides between "registered" and "modified". It may raise
    :class:`~hub.core.errors.RejectError` (the record is dead-lettered, the import goes on).
    ``raw``: the record's bytes, kept with a rejection so it can be fixed and replayed.
    """

    key: str
    fingerprint: str
    build: Callable[[str | None], list[Envelope[Any]]]
    line: int | None = None
    raw: bytes = b""


@dataclass(frozen=True)
class RecordReject:
    """One record of a message that cannot be accepted, while the message's other records can.

    ``Connector.decode`` and ``Connector.iter_bulk`` yield it instead of raising, so that one bad decision in a file
    of fifty is dead-lettered alone (with its location and bytes) and the other forty-nine flow.

    ``raw`` is the record's own bytes (shown to the operator). ``replay``, when the connector can build it, is a
    complete message holding only this record, which ``decode`` accepts again: the dead letter keeps it, so that
    5,000 bad records of one message are 5,000 small dead letters, not 5,000 copies of the whole message. Without
    it the dead letter keeps the whole message (retrying it re-journals only this record; the others are
    duplicates)."""

    error: RejectError
    line: int | None = None
    raw: bytes = b""
    replay: bytes | None = None


@runtime_checkable
class ShardedBulk(Protocol):
    """What a connector adds so that two processes can share the reading of one extraction (``relais import``).

    ``iter_bulk_shard(path, owned)`` streams the same file as ``iter_bulk`` and yields exactly one item per record,
    in the same order, but decodes only the records whose 0-based position ``owned`` accepts; for the others it
    yields ``None`` at once (what it skips is the costly part: validation, mapping, fingerprint — parsing is cheap).
    Damage to the file raises as ``iter_bulk`` does, whoever owns the record it is in. When about two cores are
    idle the hub then runs two readers, each decoding every other chunk, and journals their chunks in file order
    (:mod:`hub.core.bulk_stream`)."""

    def iter_bulk_shard(self, path: Path, owned: Callable[[int], bool]) -> Iterator[BulkRecord | RecordReject | None]:
        ...


class DeferredRecord(ABC):
    """A record the reading process parsed and serialised but left for the journaling process to decode.

    Why: with one reading process the reader is the bound (profiled: ~240 µs of decoding per demand against the
    journaling process's ~140 µs, which then waits). Leaving a share of the records' decoding to the journaling
    process keeps both busy. ``decode()`` runs in the journaling process and must give exactly what the reader would
    have yielded for this record (the same :class:`BulkRecord`, or the same :class:`RecordReject` with the same
    file, line and field): only where the work is done changes. It must be picklable."""

    @abstractmethod
    def decode(self) -> BulkRecord | RecordReject:
        ...


@runtime_checkable
class SplitBulk(Protocol):
    """What a connector adds so that the journaling process can decode a share of the records itself.

    ``iter_bulk_split(path, defer)`` streams the same file as ``iter_bulk``, one item per record in the same order,
    but may yield a :class:`DeferredRecord` for a record whose 0-based position ``defer`` accepts (it may also decode
    such a record itself, e.g. when its serialisation could not give the same error locations). Damage to the file
    raises as ``iter_bulk`` does."""

    def iter_bulk_split(self, path: Path, defer: Callable[[int], bool]
                        ) -> Iterator[BulkRecord | RecordReject | DeferredRecord]:
        ...
