"""Bulk import (``relais import``): stream a partner's extraction into the journal in constant memory.

Records come from ``Connector.iter_bulk``, read by other processes when the connector's records can be pickled
(:mod:`hub.core.bulk_stream`: two readers sharing the decoding when the connector can, so both cores work), grouped
in chunks of ``batch_size``. For each chunk one query fetches the fingerprints last imported for its keys,
unchanged records are skipped, the others are built into events (registered or modified) and journaled with their
new fingerprints in one transaction. A record that fails is dead-lettered with its line number and bytes, and the
import goes on.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import structlog
from pydantic import ValidationError

from hub.core.bulk import BulkRecord, RecordReject
from hub.core.bulk_stream import read_chunks
from hub.core.connector import Connector
from hub.core.errors import ContractError, ErrorLocation, RejectError
from hub.core.gc_policy import LONG_RUN_GC_THRESHOLD, long_run_heap
from hub.core.ingest import Ingestor, Origin, Rejection

__all__ = ["BulkImporter", "ImportResult"]

log = structlog.get_logger(__name__)

#: Allocations between two young-generation collections during an import (Python's default: 700): the policy of
#: every long run (hub.core.gc_policy). At 700 a collection ran every few demands and the older generations' after
#: it, 12-30 % of the journaling process's CPU (alternate runs, 10,000 and 100,000 demands, bench/README.md).
IMPORT_GC_THRESHOLD = LONG_RUN_GC_THRESHOLD


@dataclass
class ImportResult:
    records: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    events: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


class BulkImporter:
    def __init__(self, ingestor: Ingestor, connector: Connector, batch_size: int = 500, *,
                 parallel: bool | None = None, readers: int | None = None, share: float | None = None):
        self.ingestor = ingestor
        self.connector = connector
        self.batch_size = batch_size
        # other processes read the file when there is a second core to run them; how many: see read_chunks
        self.parallel = (os.cpu_count() or 1) > 1 if parallel is None else parallel
        self.readers = readers
        self.share = share           # of the decoding, done here with one reader (read_chunks; None: the default)

    def run(self, path: Path, progress: Callable[[int, int | None], None] | None = None) -> ImportResult:
        """Import ``path``; ``progress(records, line)`` is called after each chunk with the records done and the
        file line reached (when the connector knows it), so that a face can show count, rate and ETA."""
        result = ImportResult()
        started = time.monotonic()
        # Every object alive now (modules, contract schemas, the journal's metadata) lives as long as the import:
        # frozen, the full collections that millions of short-lived records trigger no longer walk them (20 % of
        # the journaling process's CPU, profiled), and a forked reader does not write to the pages it shares.
        with long_run_heap(IMPORT_GC_THRESHOLD):
            self._read_all(path, result, progress)
        result.seconds = time.monotonic() - started
        log.info("bulk_import_done", connector=self.connector.name, records=result.records,
                 imported=result.imported, updated=result.updated, unchanged=result.unchanged,
                 rejected=result.rejected, seconds=round(result.seconds, 2))
        return result

    def _read_all(self, path: Path, result: ImportResult,
                  progress: Callable[[int, int | None], None] | None) -> None:
        try:
            for chunk in read_chunks(self.connector, path, self.batch_size, parallel=self.parallel,
                                     readers=self.readers, share=self.share):
                line = chunk[-1].line
                self._flush(path, chunk, result)
                if progress is not None and len(chunk) >= self.batch_size:
                    progress(result.records, line)
        except RejectError as exc:   # the file itself is unreadable past some point: what went is kept, say where
            self.ingestor.commit([], [Rejection(self.connector.name, str(path), exc, b"", exc.location.line)])
            result.rejected += 1

    def _flush(self, path: Path, chunk: list[BulkRecord | RecordReject], result: ImportResult) -> None:
        if not chunk:
            return
        source = self.connector.name
        records = [r for r in chunk if isinstance(r, BulkRecord)]
        known = self.ingestor.journal.known_fingerprints(source, {r.key for r in records})
        events: list[Any] = []
        rejections: list[Rejection] = []
        origins: dict[str, Origin] = {}
        seen: dict[str, tuple[str, str, str]] = {}
        for item in chunk:
            result.records += 1
            if isinstance(item, RecordReject):
                rejections.append(Rejection(source, str(path), item.error, item.raw, item.line))
                continue
            previous = seen[item.key][2] if item.key in seen else known.get(item.key)
            if previous == item.fingerprint:
                result.unchanged += 1
                continue
            try:
                built = item.build(previous)
            except RejectError as exc:
                rejections.append(Rejection(source, str(path), exc, item.raw, item.line))
                continue
            except ValidationError as exc:
                err = ContractError.from_validation(exc, location=ErrorLocation(file=str(path), line=item.line))
                rejections.append(Rejection(source, str(path), err, item.raw, item.line))
                continue
            checked = []
            for envelope in built:
                ok, bad = self.ingestor.decode_checked(self.connector, envelope, str(path), item.line)
                if bad is not None:
                    rejections.append(Rejection(source, str(path), bad, item.raw, item.line))
                    break
                checked.append(ok)
            else:
                events += checked
                origins.update((e.id, Origin(str(path), item.raw, item.line)) for e in checked)
                seen[item.key] = (source, item.key, item.fingerprint)
                if previous is None:
                    result.imported += 1
                else:
                    result.updated += 1
        report = self.ingestor.commit(events, rejections, list(seen.values()), origins=origins)
        result.rejected += report.rejected
        result.events += report.journaled
