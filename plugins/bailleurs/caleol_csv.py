"""``relais.bailleurs.caleol_csv/1``: the CSV batch CALEOL software exports, one row per event, → canonical events.

What a file must be (the README says it to landlords): ``;``-separated, a header row naming its columns
(:mod:`plugins.bailleurs.columns`), UTF-8 with or without a byte-order mark — or Windows-1252, which Excel on
Windows still writes: it is detected (not valid UTF-8, valid Windows-1252) and logged as such. A wrong header
rejects the whole file naming the column and the fix; one bad row is rejected alone (``ligne 8, colonne rang``,
``rows[6].rang``:
the line counts the header as line 1, as a spreadsheet numbers it; ``rows[i]`` counts data rows from 0, as the JSON
formats count records), the other rows are journaled.

Bounds, so that a runaway export cannot take the hub's memory or time: at most :data:`MAX_ROWS` rows, cells of at
most :data:`MAX_CELL` characters, no row with more cells than the header (besides empty trailing ones).
"""

from __future__ import annotations

import csv
import difflib
import io
from collections.abc import Iterator
from typing import Any

import structlog
from pydantic import ValidationError

from contracts import Envelope, LegalEntity
from hub import ContractError, DecodeError, ErrorLocation, RawMessage, RecordReject
from plugins.bailleurs.columns import (
    BY_NAME,
    REQUIRED,
    CellError,
    cell_text,
    cell_value,
    fields_of,
    neutralise,
)
from plugins.bailleurs.records import build_event
from plugins.bailleurs.wire import RECORDS

__all__ = ["DELIMITER", "MAX_CELL", "MAX_ROWS", "decode_csv"]

log = structlog.get_logger(__name__)

DELIMITER = ";"
#: Rows in one file: a day's export of a large landlord is a few thousand; a migration is split in files.
MAX_ROWS = 100_000
#: Characters in one cell: the longest field (free text, a decision's motif) takes 2,000.
MAX_CELL = 2_000
_BOM = "\ufeff"


def decode_csv(raw: RawMessage, source: str) -> Iterator[Envelope[Any] | RecordReject]:
    """The events of a CSV batch, one per data row; whole-file problems raise before any row is yielded."""
    text = _text(raw)
    header, rows = _structure(text, raw.origin)
    for index, (line, cells) in enumerate(rows):
        path = f"rows[{index}]"
        location = ErrorLocation(file=raw.origin, line=line, record=index)
        try:
            item, bailleur = _record(header, cells, path, location)
            yield build_event(item, bailleur=bailleur, source=source, correlation_id=None, path=path,
                              location=location)
        except (DecodeError, ContractError) as exc:
            yield RecordReject(_on_line(exc, line), line=line, raw=_csv_bytes([cells]),
                               replay=_csv_bytes([header, cells]))


def _text(raw: RawMessage) -> str:
    body = raw.body
    where = ErrorLocation(file=raw.origin)
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DecodeError("the file is UTF-16; export it as CSV UTF-8 (separator ;)", location=where)
    if b"\x00" in body:
        raise DecodeError("the file holds NUL bytes: it is not a CSV text file (export it as CSV UTF-8, "
                          "separator ;)", location=where)
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            text = body.decode("cp1252")
        except UnicodeDecodeError:
            raise DecodeError(f"not UTF-8 text (byte {exc.start}) nor Windows-1252; export the file as CSV UTF-8 "
                              "(separator ;)", location=where) from None
        log.info("caleol_csv_windows_1252", origin=raw.origin)
    text = text.removeprefix(_BOM)
    if not text.strip():
        raise DecodeError("empty message: send a JSON document or a CSV export with its header row (see the "
                          "connector's README)", location=where)
    lines = text.count("\n") + 1
    if lines > MAX_ROWS + 2:   # the header, and a last line without its newline
        raise DecodeError(f"{lines} lines, over {MAX_ROWS} rows per file; split the export into several files",
                          location=where)
    return text


def _reader(text: str) -> Any:
    return csv.reader(io.StringIO(text, newline=""), delimiter=DELIMITER, strict=True)


def _structure(text: str, origin: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The checked header and the data rows with the line each starts on; blank rows are skipped."""
    reader = _reader(text)
    rows: list[tuple[int, list[str]]] = []
    header: list[str] | None = None
    line = 1
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if header is None:
                header = _header(cells, origin)
                continue
            if not any(c.strip() for c in cells):
                continue
            rows.append((start, cells))
    except csv.Error as exc:
        raise DecodeError(f"ligne {reader.line_num}: not readable as CSV ({exc}); a quote (\") opened and not "
                          "closed, or a truncated file — fix that line and resend",
                          location=ErrorLocation(file=origin, line=reader.line_num)) from None
    if header is None:
        raise DecodeError("empty file: a header row naming the columns is required (see the connector's README)",
                          location=ErrorLocation(file=origin, line=1))
    if not rows:
        raise DecodeError("no data row after the header", location=ErrorLocation(file=origin, line=2))
    return header, rows


def _header(cells: list[str], origin: str) -> list[str]:
    names = [cell_text(c).lower() for c in cells]
    while names and not names[-1]:     # a spreadsheet's trailing ';' (rows may carry empty trailing cells too)
        names.pop()
    where = ErrorLocation(file=origin, line=1, field="header")
    if len(names) == 1 and "," in names[0]:
        raise DecodeError("header: one column only, with commas in it: the separator is ';' (semicolon); export "
                          "with ; as separator", location=where)
    if not any(names) or "type" not in names and not set(names) & set(BY_NAME):
        raise DecodeError("header: the first row must name the columns (type;id;bailleur_siren;…); it names "
                          "none of them", location=where)
    for name in names:
        if name and name not in BY_NAME:
            close = difflib.get_close_matches(name, BY_NAME, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]!r}?" if close else "remove it or see the README's column table"
            shown = repr(name) if len(name) <= 40 else repr(name[:40] + "…")
            raise DecodeError(f"header: unknown column {shown}; {hint}", location=where)
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise DecodeError(f"header: column {name!r} appears twice; keep one", location=where)
        seen.add(name)
    missing = [c for c in REQUIRED if c not in seen]
    if missing:
        raise DecodeError(f"header: missing column(s) {', '.join(missing)}; every file has "
                          f"{';'.join(REQUIRED)} (the other columns as the rows' types need them)", location=where)
    if "" in names:
        raise DecodeError(f"header: column {names.index('') + 1} has no name; name it or remove it",
                          location=where)
    return names


def _record(header: list[str], cells: list[str], path: str,
            location: ErrorLocation) -> tuple[dict[str, Any], LegalEntity]:
    """The record a row carries (as ``evenements/1`` would), and its landlord."""
    def fail(column: str | None, reason: str) -> DecodeError:
        field = f"{path}.{column}" if column else path
        return DecodeError(f"{field}: {reason}", location=ErrorLocation(
            file=location.file, line=location.line, record=location.record, field=field))

    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        raise fail(None, f"{len(cells)} cells where the header has {len(header)} columns (a ';' inside a cell "
                         "must be quoted)")
    if len(cells) < len(header):
        raise fail(None, f"{len(cells)} cells where the header has {len(header)} columns: a truncated or "
                         "misaligned row")
    values = {name: cell_text(cell) for name, cell in zip(header, cells)}
    for name, value in values.items():
        if len(value) > MAX_CELL:
            raise fail(name, f"{len(value)} characters, over {MAX_CELL} per cell")
    kind = values.get("type", "")
    model = RECORDS.get(kind)
    if model is None:
        shown = repr(kind) if len(kind) <= 40 else "invalid" if kind else "empty"
        raise fail("type", f"{shown} is not a record type; expected one of {', '.join(RECORDS)}")
    allowed = fields_of(model)
    item: dict[str, Any] = {}
    entities: dict[str, dict[str, str]] = {}
    for name, value in values.items():
        if not value:
            continue
        column = BY_NAME[name]
        if column.field == "bailleur":
            entities.setdefault("bailleur", {})[column.sub or ""] = value
            continue
        if column.field not in allowed:
            raise fail(name, f"not a field of {kind}; leave the cell empty")
        try:
            converted = cell_value(column, value)
        except CellError as exc:
            raise fail(name, str(exc)) from None
        if column.kind == "entity":
            entities.setdefault(column.field, {})[column.sub or ""] = converted
        else:
            item[column.field] = converted
    try:
        bailleur = LegalEntity.model_validate(entities.pop("bailleur", {}))
    except ValidationError as exc:
        raise _columns_named(ContractError.from_validation(exc, location=location, prefix=f"{path}.bailleur"))
    item.update(entities)
    return item, bailleur


def _on_line(exc: DecodeError | ContractError, line: int) -> DecodeError | ContractError:
    """The error as a landlord looking at the file reads it: its line and column first (``ligne 8, colonne rang:
    rows[6].rang: …``), entity fields named as their columns."""
    if isinstance(exc, ContractError):
        exc = _columns_named(exc)
    field = exc.location.field or ""
    where = f"ligne {line}, colonne {field.split('.', 1)[1]}" if "." in field else f"ligne {line}"
    return type(exc)(f"{where}: {exc.reason}", location=exc.location, problems=exc.problems)


def _columns_named(exc: ContractError | DecodeError) -> Any:
    """``rows[6].reservataire.siren`` → ``rows[6].reservataire_siren``: the column the landlord fixes."""
    def column(path: str | None) -> str | None:
        if path is None:
            return None
        for entity in ("bailleur", "reservataire"):
            path = path.replace(f".{entity}.siren", f".{entity}_siren").replace(f".{entity}.nom", f".{entity}_nom")
        return path

    problems = [{**p, "field": column(p.get("field"))} if p.get("field") else p for p in exc.problems]
    location = ErrorLocation(file=exc.location.file, line=exc.location.line, record=exc.location.record,
                             field=column(exc.location.field))
    reason = exc.reason
    for p, q in zip(exc.problems, problems):
        if p.get("field") and p["field"] != q["field"]:
            reason = reason.replace(p["field"], q["field"])
    return type(exc)(reason, location=location, problems=problems)


def _csv_bytes(rows: list[list[str]]) -> bytes:
    """Rows written back as CSV (a rejected row's dead letter), every cell neutralised against formulas."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=DELIMITER, lineterminator="\r\n")
    for row in rows:
        writer.writerow([neutralise(cell) for cell in row])
    return out.getvalue().encode("utf-8")
