"""One landlord's record (a dict, from JSON or from a CSV row) → one canonical event, or why not.

Shared by ``relais.bailleurs.evenements/1`` and ``relais.bailleurs.caleol_csv/1`` so that a record means the same
in both formats: same types, same rules, same resend key (``siren:id``), same event time.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from contracts import REGISTRY, Envelope, LegalEntity
from hub import ContractError, DecodeError, ErrorLocation
from plugins.bailleurs.wire import RECORDS, occurred_on, to_event_data

__all__ = ["PARIS", "build_event"]

PARIS = ZoneInfo("Europe/Paris")
_LEADING_FIELD = re.compile(r"^([a-z_]+): ")


def build_event(item: dict[str, Any], *, bailleur: LegalEntity, source: str, correlation_id: str | None,
                path: str, location: ErrorLocation) -> Envelope[Any]:
    """The event ``item`` reports, stamped with the landlord; ``path`` prefixes every field named in an error
    (``evenements[3]``, ``rows[6]``). Raises :class:`DecodeError` (unknown type) or :class:`ContractError`."""
    kind = item.get("type")
    model = RECORDS.get(kind) if isinstance(kind, str) else None
    if model is None:
        shown = f"{kind!r}" if isinstance(kind, str) and len(kind) <= 40 else "missing" if kind is None else "invalid"
        raise DecodeError(f"{path}.type: {shown} is not a record type; expected one of {', '.join(RECORDS)}",
                          location=_at(location, f"{path}.type"))
    try:
        record = model.model_validate(item)
    except ValidationError as exc:
        raise _field_named(ContractError.from_validation(exc, location=location, prefix=path), path) from None
    occurred = datetime.combine(occurred_on(record), datetime.min.time(), tzinfo=PARIS)
    return REGISTRY.build(to_event_data(record), source=source, entity=bailleur, time=occurred,
                          sourcemessageid=f"{bailleur.siren}:{record.id}",  # type: ignore[attr-defined]
                          correlationid=correlation_id)


def _field_named(exc: ContractError, path: str) -> ContractError:
    """A rule across fields ("rang: required when decision is attribution_rang") is reported by pydantic on the
    record; name the field it is about (``rows[6].rang``), which is what the landlord fixes."""
    problems = []
    for problem in exc.problems:
        found = _LEADING_FIELD.match(problem.get("reason", ""))
        if problem.get("field") == path and found:
            problem = {**problem, "field": f"{path}.{found.group(1)}", "reason": problem["reason"][found.end():]}
        problems.append(problem)
    if problems == exc.problems:
        return exc
    first = problems[0]
    summary = "; ".join(f"{p.get('field') or '?'}: {p['reason']}" for p in problems[:5])
    return ContractError(summary, problems=problems, location=ErrorLocation(
        file=exc.location.file, line=exc.location.line, record=exc.location.record, field=first.get("field")))


def _at(location: ErrorLocation, field: str) -> ErrorLocation:
    return ErrorLocation(file=location.file, line=location.line, record=location.record, field=field)
