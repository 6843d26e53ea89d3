"""File inboxes: partners (or their transfer tools) drop files in ``inbox/<connector>/``.

A file is acknowledged by moving it into ``done/<day>/`` only after its events are journaled, or into
``rejected/<day>/`` when some or all of it was rejected and its dead letters (with the bytes and the reasons) are in
the store — an operator looking at the directories sees at once which files need attention. Files still being
written are skipped: a name starting with ``.`` or ending in ``.part``/``.tmp`` is ignored, as is a file modified
in the last ``settle`` seconds. A file the connector does not read (another suffix) stays where it is and is logged
once (``inbox_file_ignored``), not at every scan.

Per-partner inboxes (issue 12): a file dropped in ``inbox/<connector>/<partner-id>/`` is ingested *as that partner*,
exactly like a gateway call — its legal entity stamped, its ids scoped, its scopes and stock checked — because the
directory is the credential (each partner's SFTP account is chrooted to its own). Its acknowledgements go to that
directory's own ``done/`` and ``rejected/``, so the partner sees its outcome; a file outside its scopes is refused
whole, never journaled nor kept as a dead letter (a forgery must not be replayable), moved to ``rejected/`` beside a
``.reason.txt`` and audited (``inbound``, the partner as actor, the file as target). A subdirectory naming no active
partner of the connector is left alone and logged once: its files are never ingested with the payload's entity.
Files at the top of the inbox keep the connector's behaviour (its configured ``entity``, else the payload's); when
the connector has registered partners each such file is logged once as not attributed (``inbox_file_unattributed``).
With ``connectors.NAME.inbox_partners_only`` they are refused unread instead (moved to ``rejected/`` with a reason).
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import structlog

from hub.core.audit import AuditEntry, AuditKind, AuditTrail
from hub.core.connector import Connector, RawMessage
from hub.core.errors import ErrorLocation, InputTooLarge
from hub.core.ingest import IngestReport, Ingestor, Rejection
from hub.core.partners import Partner, PartnerRegistry, partner_origin
from hub.core.partners_schema import PartnerStatus
from hub.core.private import private_dir

__all__ = ["InboxScanner"]

log = structlog.get_logger(__name__)

#: the acknowledgement directories of an inbox (and of each partner's): never a partner's drop
_ACKNOWLEDGED = ("done", "rejected")


class InboxScanner:
    def __init__(self, ingestor: Ingestor, connectors: dict[str, Connector], *, batch_files: int = 100,
                 batch_bytes: int = 64 * 1024 * 1024, settle: float = 0.0, decode_timeout: float | None = 60.0,
                 partners: PartnerRegistry | None = None, audit: AuditTrail | None = None):
        self.ingestor = ingestor
        #: without a registry (a bare scanner in a test), subdirectories are never read: none can be attributed
        self.partners = partners
        self.audit = audit
        self.connectors = connectors
        self.batch_files = batch_files
        self.batch_bytes = batch_bytes
        self.settle = settle
        self.decode_timeout = decode_timeout
        self._ignored: set[Path] = set()   # files and directories already reported as not for the connector
        #: connector → its top-level files already reported as not attributed (while they are still there)
        self._unattributed: dict[str, set[Path]] = {}

    def _drops(self, connector: Connector) -> Iterator[tuple[Path, Partner | None]]:
        """The connector's drop directories: its top level (no partner), then each subdirectory named after an
        active partner of that connector, in name order. Any other subdirectory is logged once and left alone.

        The registry is asked once per scan for the connector's partners (without their stock), and a partner's
        stock is loaded only when its directory has files: scans run every second, most of them on empty
        directories."""
        inbox = connector.context.inbox
        if not inbox.is_dir():
            return
        yield inbox, None
        subdirectories = [entry for entry in sorted(inbox.iterdir()) if entry.is_dir()
                          and not entry.name.startswith(".") and entry.name not in _ACKNOWLEDGED]
        if self.partners is None or not subdirectories:
            return
        active = {p.id for p in self.partners.list(connector.name) if p.status == PartnerStatus.ACTIVE}
        for entry in subdirectories:
            if entry.name in active:
                if any(True for _ in self._ready_files(connector, entry)):
                    partner = self.partners.get(entry.name)   # with its stock, checked on every decision
                    if partner is not None and partner.status == PartnerStatus.ACTIVE:
                        yield entry, partner
            elif entry not in self._ignored:
                self._ignored.add(entry)
                log.warning("inbox_directory_ignored", connector=connector.name, directory=entry.name,
                            reason=f"not an active partner of connector {connector.name!r}: its files are not read; "
                                   "name the directory after the partner's id (`relais partners list -c "
                                   f"{connector.name}`) or register the partner")

    def _warn_unattributed(self, connector: Connector, files: list[Path]) -> None:
        """Top-level files of a connector with registered partners are ingested as before (the payload's or the
        configured entity): say so once per file, so that the operator moves each partner to its directory."""
        warned = self._unattributed.setdefault(connector.name, set())
        warned.intersection_update(files)   # the files that left the inbox are forgotten
        new = [f for f in files if f not in warned]
        if not new or self.partners is None or not self.partners.list(connector.name):
            return
        for path in new:
            warned.add(path)
            log.warning("inbox_file_unattributed", connector=connector.name, file=path.name,
                        reason=f"dropped at the top of the inbox of {connector.name!r}, which has registered "
                               "partners: its legal entity is taken from the file, not from a partner; have each "
                               f"partner drop into {connector.name}/<partner-id>/ (docs/partners.md)")

    def _refuse_unattributed(self, connector: Connector, files: list[Path]) -> IngestReport:
        """With ``inbox_partners_only``, a top-level file is nobody's: it is not read (its entity could be anyone's)
        but moved to ``rejected/`` with the reason beside it, so that whoever dropped it sees why."""
        reason = (f"dropped at the top of the inbox of {connector.name!r}, which takes only partners' directories "
                  f"(connectors.{connector.name}.inbox_partners_only): drop it into {connector.name}/<partner-id>/, "
                  "your own directory")
        names = {path.name for path in files}
        self._acknowledge(connector, files, names, None, dict.fromkeys(names, reason))
        for path in files:
            log.warning("inbox_file_refused", connector=connector.name, file=path.name, reason=reason)
        report = IngestReport()
        report.scope_refused = [{"reason": reason, "problems": [], "origin": path.name} for path in files]
        return report

    def _ready_files(self, connector: Connector, directory: Path) -> Iterator[Path]:
        now = time.time()
        for entry in sorted(directory.iterdir()):
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
            for directory, partner in list(self._drops(connector)):
                files = list(self._ready_files(connector, directory))
                if partner is None and files and getattr(connector.settings, "inbox_partners_only", False):
                    reports.setdefault(name, IngestReport()).add(self._refuse_unattributed(connector, files))
                    continue
                if partner is None:
                    self._warn_unattributed(connector, files)
                for chunk in self._chunks(connector, files):
                    report = self._ingest_chunk(connector, chunk, partner)
                    if report is not None:
                        reports.setdefault(name, IngestReport()).add(report)
        return reports

    def _ingest_chunk(self, connector: Connector, chunk: list[Path], partner: Partner | None) -> IngestReport | None:
        """One batch of one drop directory (so of one partner, or none): journaled, then acknowledged."""
        raws, kept, oversized = self._read(connector, chunk, partner)
        report = IngestReport()
        if raws:
            report = self.ingestor.ingest(connector, raws, self.decode_timeout, partner)
        if oversized:   # never read: refused on their size, kept on disk in rejected/
            report.add(self.ingestor.commit([], [self._too_large(connector, p, n, partner) for p, n in oversized]))
        if not kept and not oversized:
            return None
        refused = {r["origin"]: r["reason"] for r in report.scope_refused}
        if partner is not None:
            self._audit(connector, partner, kept, [p for p, _n in oversized], refused)
        self._acknowledge(connector, kept + [p for p, _n in oversized], self._rejected_origins(report) | set(refused),
                          partner, refused)
        log.info("inbox_batch_ingested", connector=connector.name, partner=partner.id if partner else None,
                 files=len(kept) + len(oversized), journaled=report.journaled, duplicates=report.duplicates,
                 rejected=report.rejected + len(report.scope_refused))
        return report

    def _audit(self, connector: Connector, partner: Partner, kept: list[Path], oversized: list[Path],
               refused: dict[str, str]) -> None:
        """One ``inbound`` audit row per file of a partner's directory, as the gateway writes one per call: the
        directory authenticated the partner, so what it sent (and what was refused) is answerable to it."""
        if self.audit is None:
            return
        entries = []
        for path in kept + oversized:
            reason = refused.get(partner_origin(partner, path.name))
            if path in oversized:
                reason = f"file over connectors.{connector.name}.max_message_bytes: not read"
            entries.append(AuditEntry(kind=AuditKind.INBOUND, actor=partner.id, outcome="refused" if reason else
                                      "accepted", action=f"inbox {connector.name}/{partner.id}", target=path.name,
                                      reason=reason))
        self.audit.record_many(entries)

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
    def _read(connector: Connector, paths: list[Path], partner: Partner | None = None
              ) -> tuple[list[RawMessage], list[Path], list[tuple[Path, int]]]:
        """Read the files whose size is within the connector's limit (checked with ``stat``: a 2 GB file is never
        read); one that vanished was taken by another hub process watching the same inbox. A partner's file keeps
        the partner in its origin, so that its dead letters are retried as that partner's."""
        raws, kept, oversized = [], [], []
        limit = connector.settings.max_message_bytes
        for p in paths:
            try:
                size = p.stat().st_size
                if size > limit:
                    oversized.append((p, size))
                    continue
                raws.append(RawMessage.from_bytes(p.read_bytes(), origin=_origin(p, partner), path=str(p)))
                kept.append(p)
            except FileNotFoundError:
                continue
        return raws, kept, oversized

    @staticmethod
    def _too_large(connector: Connector, path: Path, size: int, partner: Partner | None = None) -> Rejection:
        """The dead letter of a file refused on its size: the reason and where the file is kept, not its bytes (a
        200 MB file must not become a 200 MB row)."""
        limit = connector.settings.max_message_bytes
        kept_at = path.parent / "rejected" / datetime.now(timezone.utc).strftime("%Y-%m-%d") / path.name
        error = InputTooLarge(f"file is {size} bytes, over the limit of {limit} (connectors.{connector.name}."
                              f"max_message_bytes); it was not read and is kept at {kept_at}: split it, or raise the "
                              "limit, then `relais dead retry ID --with-file` it",
                              location=ErrorLocation(file=path.name))
        return Rejection(connector.name, _origin(path, partner), error, b"")

    def _rejected_origins(self, report: IngestReport) -> set[str]:
        """The files (origins) that have a dead letter from this ingest: rare, so one query only then."""
        if not report.dead_letter_ids:
            return set()
        rows = self.ingestor.journal.dead_letters(status=None, ids=report.dead_letter_ids)
        return {row["origin"] for row in rows}

    @staticmethod
    def _acknowledge(connector: Connector, files: list[Path], rejected: set[str] = frozenset(),
                     partner: Partner | None = None, reasons: dict[str, str] | None = None) -> None:
        """Move each file into ``done/DAY/`` or ``rejected/DAY/`` of its own drop directory (a partner's files stay
        in the directory its account sees); a refused file gets its reason beside it, since no dead letter has it."""
        day = datetime.now(timezone.utc).strftime("%Y-%m-%d")
        for path in files:
            origin = _origin(path, partner)
            done = private_dir(path.parent / ("rejected" if origin in rejected else "done") / day)
            target = done / path.name
            if target.exists():
                target = done / f"{path.stem}.{time.time_ns()}{path.suffix}"
            try:
                os.replace(path, target)
            except FileNotFoundError:   # another hub process journaled it too and moved it first: both absorbed
                continue
            if reasons and origin in reasons:
                target.with_name(target.name + ".reason.txt").write_text(reasons[origin] + "\n", encoding="utf-8")


def _origin(path: Path, partner: Partner | None) -> str:
    return partner_origin(partner, path.name) if partner is not None else path.name
