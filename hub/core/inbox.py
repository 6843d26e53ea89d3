"""File inboxes: partners (or their transfer tools) drop files in ``inbox/<connector>/``.

A file is acknowledged by moving it into ``done/<day>/`` only after its events are journaled, or into
``rejected/<day>/`` when some or all of it was rejected and its dead letters (with the bytes and the reasons) are in
the store — an operator looking at the directories sees at once which files need attention. Files still being
written are skipped: a name starting with ``.`` or ending in ``.part``/``.tmp`` is ignored, as is a file modified
in the last ``settle`` seconds. A file the connector does not read (another suffix) stays where it is and is logged
once (``inbox_file_ignored``), not at every scan.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import structlog

from hub.core.connector import Connector, RawMessage
from hub.core.errors import ErrorLocation, InputTooLarge
from hub.core.ingest import IngestReport, Ingestor, Rejection
from hub.core.private import private_dir

__all__ = ["InboxScanner"]

log = structlog.get_logger(__name__)


class InboxScanner:
    def __init__(self, ingestor: Ingestor, connectors: dict[str, Connector], *, batch_files: int = 100,
                 batch_bytes: int = 64 * 1024 * 1024, settle: float = 0.0, decode_timeout: float | None = 60.0):
        self.ingestor = ingestor
        self.connectors = connectors
        self.batch_files = batch_files
        self.batch_bytes = batch_bytes
        self.settle = settle
        self.decode_timeout = decode_timeout
        self._ignored: set[Path] = set()   # files already reported as not for the connector

    def _ready_files(self, connector: Connector) -> Iterator[Path]:
        inbox = connector.context.inbox
        if not inbox.is_dir():
            return
        now = time.time()
        for entry in sorted(inbox.iterdir()):
            name = entry.name
            if not entry.is_file() or name.startswith(".") or name.endswith((".part", ".tmp")):
                continue
            if not name.lower().endswith(connector.file_suffixes):
                if entry not in self._ignored:
                    self._ignored.add(entry)
                    log.warning("inbox_file_ignored", connector=connector.name, file=name,
                                reason=f"not a {' / '.join(connector.file_suffixes)} file: this connector does "
                                       "not read it; move it away or rename it")
                continue
            if self.settle and now - entry.stat().st_mtime < self.settle:
                continue
            yield entry

    def scan(self) -> dict[str, IngestReport]:
        """Ingest every ready file of every inbox; returns a report per connector that had files."""
        reports: dict[str, IngestReport] = {}
        for name, connector in self.connectors.items():
            for chunk in self._chunks(connector, list(self._ready_files(connector))):
                raws, kept, oversized = self._read(connector, chunk)
                report = IngestReport()
                if raws:
                    report = self.ingestor.ingest(connector, raws, self.decode_timeout)
                if oversized:   # never read: refused on their size, kept on disk in rejected/
                    report.add(self.ingestor.commit([], [self._too_large(connector, p, n) for p, n in oversized]))
                if not kept and not oversized:
                    continue
                self._acknowledge(connector, kept + [p for p, _n in oversized], self._rejected_origins(report))
                reports.setdefault(name, IngestReport()).add(report)
                log.info("inbox_batch_ingested", connector=name, files=len(kept) + len(oversized),
                         journaled=report.journaled, duplicates=report.duplicates, rejected=report.rejected)
        return reports

    def _chunks(self, connector: Connector, files: list[Path]) -> Iterator[list[Path]]:
        """Batches of at most ``batch_files`` files and about ``batch_bytes`` bytes (sizes from ``stat``, before
        anything is read): a hundred files of 50 MB must not be held in memory at once."""
        chunk: list[Path] = []
        size = 0
        for path in files:
            try:
                size += min(path.stat().st_size, connector.settings.max_message_bytes + 1)
            except FileNotFoundError:   # taken by another hub process watching the same inbox
                continue
            chunk.append(path)
            if len(chunk) >= self.batch_files or size >= self.batch_bytes:
                yield chunk
                chunk, size = [], 0
        if chunk:
            yield chunk

    @staticmethod
    def _read(connector: Connector, paths: list[Path]
              ) -> tuple[list[RawMessage], list[Path], list[tuple[Path, int]]]:
        """Read the files whose size is within the connector's limit (checked with ``stat``: a 2 GB file is never
        read); one that vanished was taken by another hub process watching the same inbox."""
        raws, kept, oversized = [], [], []
        limit = connector.settings.max_message_bytes
        for p in paths:
            try:
                size = p.stat().st_size
                if size > limit:
                    oversized.append((p, size))
                    continue
                raws.append(RawMessage.from_bytes(p.read_bytes(), origin=str(p.name), path=str(p)))
                kept.append(p)
            except FileNotFoundError:
                continue
        return raws, kept, oversized

    @staticmethod
    def _too_large(connector: Connector, path: Path, size: int) -> Rejection:
        """The dead letter of a file refused on its size: the reason and where the file is kept, not its bytes (a
        200 MB file must not become a 200 MB row)."""
        limit = connector.settings.max_message_bytes
        kept_at = connector.context.inbox / "rejected" / datetime.now(timezone.utc).strftime("%Y-%m-%d") / path.name
        error = InputTooLarge(f"file is {size} bytes, over the limit of {limit} (connectors.{connector.name}."
                              f"max_message_bytes); it was not read and is kept at {kept_at}: split it, or raise the "
                              "limit, then `relais dead retry ID --with-file` it",
                              location=ErrorLocation(file=path.name))
        return Rejection(connector.name, path.name, error, b"")

    def _rejected_origins(self, report: IngestReport) -> set[str]:
        """The files (origins) that have a dead letter from this ingest: rare, so one query only then."""
        if not report.dead_letter_ids:
            return set()
        rows = self.ingestor.journal.dead_letters(status=None, ids=report.dead_letter_ids)
        return {row["origin"] for row in rows}

    @staticmethod
    def _acknowledge(connector: Connector, files: list[Path], rejected: set[str] = frozenset()) -> None:
        day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        for path in files:
            done = private_dir(connector.context.inbox / ("rejected" if path.name in rejected else "done") / day)
            target = done / path.name
            if target.exists():
                target = done / f"{path.stem}.{time.time_ns()}{path.suffix}"
            try:
                os.replace(path, target)
            except FileNotFoundError:   # another hub process journaled it too and moved it first: both absorbed
                continue
