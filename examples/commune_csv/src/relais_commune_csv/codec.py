"""The commune's formats ↔ canonical events.

In, ``relais.commune_csv.designations/1``: CSV with one header row naming exactly :data:`COLUMNS` (any order), one
designation per row → ``designation_candidat.v1`` with ``origine = reservataire`` and the commune as réservataire.
Out, ``relais.commune_csv.decision/1``: one JSON document per ``decision_cal.v1``.

What is rejected, and how (what the hub then does with it):

* the file as a whole (:class:`hub.DecodeError`: not UTF-8, no header, missing or unknown columns) — the message is
  dead-lettered with the reason, nothing of it is journaled;
* one row (:class:`hub.RecordReject`: a value breaks the contract, or the row is about a commune where the commune
  holds no reservation) — that row is dead-lettered with its line and column, the other rows are journaled.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Sequence
from datetime import datetime, time, timezone
from typing import Any

from pydantic import ValidationError

from contracts import REGISTRY, DesignationCandidat, Envelope, LegalEntity
from hub import AccessDenied, ContractError, DecodeError, ErrorLocation, RawMessage, RecordReject, RejectError

__all__ = ["FORMAT_IN", "FORMAT_OUT", "COLUMNS", "REQUIRED", "decode_designations", "encode_decision"]

FORMAT_IN = "relais.commune_csv.designations/1"
FORMAT_OUT = "relais.commune_csv.decision/1"
COLUMNS = ("reference", "numero_unique", "rpls", "commune", "date_designation", "typologie", "contingent")
REQUIRED = ("reference", "numero_unique", "rpls", "commune", "date_designation")
DEFAULT_CONTINGENT = "COLTER"   # a commune designates on the local authorities' contingent


def _text(raw: RawMessage) -> str:
    try:
        return raw.body.decode("utf-8-sig")   # spreadsheets often prepend a byte-order mark
    except UnicodeDecodeError as exc:
        raise DecodeError(f"not UTF-8 text (byte {exc.start}); export the file as 'CSV UTF-8'") from None


def _header(reader: Iterator[list[str]]) -> list[str]:
    header = next(reader, None)
    if not header or not any(h.strip() for h in header):
        raise DecodeError("the file is empty: expected a header row " + ";".join(COLUMNS),
                          location=ErrorLocation(line=1))
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if missing or unknown:
        detail = "; ".join(filter(None, [f"missing {', '.join(missing)}" if missing else "",
                                         f"unknown {', '.join(unknown)}" if unknown else ""]))
        raise DecodeError(f"header: {detail} (expected columns: {', '.join(COLUMNS)})",
                          location=ErrorLocation(line=1, field=(missing or unknown)[0]))
    return names


def _date(value: str) -> str:
    """``JJ/MM/AAAA`` as exported by spreadsheets, or ISO; anything else is left for the contract to refuse."""
    value = value.strip()
    try:
        return datetime.strptime(value, "%d/%m/%Y").date().isoformat()
    except ValueError:
        return value


def decode_designations(raw: RawMessage, *, source: str, entity: LegalEntity, communes: Sequence[str],
                        delimiter: str = ";") -> Iterator[Envelope[Any] | RecordReject]:
    reader = csv.reader(io.StringIO(_text(raw), newline=""), delimiter=delimiter, strict=True)
    try:
        names = _header(reader)
        rows = list(reader)
    except csv.Error as exc:
        raise DecodeError(f"unreadable CSV: {exc}", location=ErrorLocation(line=reader.line_num)) from None
    if not any(any(cell.strip() for cell in row) for row in rows):
        raise DecodeError("no designation under the header", location=ErrorLocation(line=2))
    own = set(communes)
    for number, row in enumerate(rows, start=2):
        if not any(cell.strip() for cell in row):
            continue   # blank lines at the end of an export
        line_bytes = delimiter.join(row).encode()
        if len(row) != len(names):
            yield RecordReject(DecodeError(f"expected {len(names)} columns, got {len(row)}",
                                           location=ErrorLocation(line=number)), line=number, raw=line_bytes)
            continue
        fields = {name: cell.strip() for name, cell in zip(names, row) if cell.strip()}
        reference = fields.pop("reference", "")
        if not reference:
            yield RecordReject(DecodeError("reference: required, the commune's identifier of this designation",
                                           location=ErrorLocation(line=number, field="reference")),
                               line=number, raw=line_bytes)
            continue
        if fields.get("commune") and fields["commune"] not in own:
            yield RecordReject(AccessDenied(
                f"commune: {fields['commune']} is not a commune where this réservataire holds reservations "
                f"({', '.join(sorted(own))})", location=ErrorLocation(line=number, field="commune")),
                line=number, raw=line_bytes)
            continue
        if "date_designation" in fields:
            fields["date_designation"] = _date(fields["date_designation"])
        fields.setdefault("contingent", DEFAULT_CONTINGENT)
        try:
            data = DesignationCandidat.model_validate(
                {**fields, "origine": "reservataire", "reservataire": entity.model_dump()})
        except ValidationError as exc:
            yield RecordReject(ContractError.from_validation(exc, location=ErrorLocation(line=number)),
                               line=number, raw=line_bytes)
            continue
        yield REGISTRY.build(data, source=source, entity=entity, sourcemessageid=f"{entity.siren}:{reference}",
                             time=datetime.combine(data.date_designation, time(0), tzinfo=timezone.utc))


def encode_decision(event: Envelope[Any]) -> bytes:
    """One decision for the commune: what was decided on which dwelling — never the free-text reasons."""
    if event.type != "decision_cal.v1":
        raise RejectError(f"commune_csv renders decision_cal.v1 only, not {event.type}; "
                          "upgrade relais-commune-csv, then `relais dead retry`")
    d = event.data
    doc = {
        "format": FORMAT_OUT, "id": event.id, "numero_unique": d.numero_unique, "logement": d.rpls,
        "commune": d.commune, "date_commission": d.date_commission.isoformat(), "decision": d.decision.value,
        "rang": d.rang, "bailleur": {"siren": event.entity.siren, "nom": event.entity.nom},
    }
    return (json.dumps(doc, ensure_ascii=False, indent=2) + "\n").encode()
