"""Partners' JSON documents: the parts every JSON connector shares (bailleurs, siao, dalo).

A partner's JSON document is an object naming its ``format``, the legal entity behind it, and a list of records.
Reading one is always the same: refuse what is not UTF-8 JSON with the line and column, refuse another format,
then check each record on its own so that one bad record is rejected alone with its path (``records[2].syplo.date``)
while the others are journaled, and keep each rejected record as a document of its own that can be fixed and
replayed. Sending events back to a partner as JSON notices is the same for every such partner too. Written once
here so that every connector gives the same errors and the same replay documents.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from pydantic import BaseModel, ValidationError

from contracts import Envelope
from contracts.base import is_personal_field
from hub.core.bulk import RecordReject
from hub.core.connector import RawMessage
from hub.core.errors import ContractError, DecodeError, ErrorLocation

__all__ = ["MAX_CORRELATION", "correlation_of", "decode_records", "json_bytes", "load_document", "load_object",
           "notice", "schema_of"]

#: A document's ``correlation_id`` becomes every event's ``correlationid``: the envelope's limit.
MAX_CORRELATION = 128


def load_document(raw: RawMessage, *, expected_format: str, list_field: str) -> dict[str, Any]:
    """The message as a JSON object of ``expected_format`` with a non-empty list ``list_field``; a
    :class:`DecodeError` naming the line, or the field, and the fix otherwise (the whole message is refused)."""
    doc = load_object(raw, members=f"'format' and '{list_field}'")
    if doc.get("format") != expected_format:
        found = doc.get("format")
        shown = found if isinstance(found, str) and len(found) <= 80 else type(found).__name__
        raise DecodeError(f"format: expected {expected_format!r}, got {shown!r}",
                          location=ErrorLocation(file=raw.origin, field="format"))
    items = doc.get(list_field)
    if not isinstance(items, list) or not items:
        raise DecodeError(f"{list_field}: expected a non-empty list", location=ErrorLocation(file=raw.origin,
                                                                                            field=list_field))
    return doc


def correlation_of(raw: RawMessage, doc: dict[str, Any]) -> str | None:
    """The document's ``correlation_id``, checked once for the whole document (a wrong one would otherwise reject
    every record, each under the envelope's field name)."""
    correlation = doc.get("correlation_id")
    if correlation is not None and (not isinstance(correlation, str) or len(correlation) > MAX_CORRELATION):
        raise DecodeError(f"correlation_id: a string of at most {MAX_CORRELATION} characters, or absent",
                          location=ErrorLocation(file=raw.origin, field="correlation_id"))
    return correlation


def load_object(raw: RawMessage, *, members: str) -> dict[str, Any]:
    """The message as a JSON object, before its format is known (a connector taking several formats tells them apart
    by it); a :class:`DecodeError` naming the line and the fix otherwise. ``members`` says what the object holds."""
    try:
        doc = json.loads(raw.body)
    except UnicodeDecodeError as exc:
        raise DecodeError(f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8",
                          location=ErrorLocation(file=raw.origin)) from None
    except json.JSONDecodeError as exc:
        raise DecodeError(f"invalid JSON: {exc.msg} (column {exc.colno}); fix the syntax and resend",
                          location=ErrorLocation(file=raw.origin, line=exc.lineno)) from None
    except RecursionError:
        raise DecodeError("JSON nested too deeply; a document is an object of records, a few levels deep",
                          location=ErrorLocation(file=raw.origin)) from None
    except ValueError:      # what json refuses beyond its syntax: an integer of thousands of digits
        raise DecodeError("a number of thousands of digits; the numbers of a document are a few digits long",
                          location=ErrorLocation(file=raw.origin)) from None
    if not isinstance(doc, dict):
        raise DecodeError(f"the document must be a JSON object with {members}",
                          location=ErrorLocation(file=raw.origin, field="$"))
    return doc


def decode_records(raw: RawMessage, doc: dict[str, Any], list_field: str,
                   build: Callable[[dict[str, Any], str], Iterable[Envelope[Any]]],
                   ) -> Iterator[Envelope[Any] | RecordReject]:
    """Each record of ``doc[list_field]`` through ``build(record, path)``, all of a record's events or none: a
    record that is not an object, or whose ``build`` raises a pydantic ``ValidationError`` or a ``DecodeError``,
    becomes one :class:`RecordReject` with its path, its bytes and a replay document holding only it."""
    header = {k: v for k, v in doc.items() if k != list_field}

    def alone(item: Any) -> bytes:
        """This record as a document of its own: what its dead letter keeps, to be fixed and replayed."""
        return json_bytes({**header, list_field: [item]})

    for index, item in enumerate(doc[list_field]):
        path = f"{list_field}[{index}]"
        try:
            if not isinstance(item, dict):
                raise DecodeError(f"{path}: expected an object, got {type(item).__name__}",
                                  location=ErrorLocation(file=raw.origin, field=path, record=index))
            events = list(build(item, path))
        except ValidationError as exc:
            yield RecordReject(ContractError.from_validation(
                exc, location=ErrorLocation(file=raw.origin, record=index), prefix=path),
                raw=json_bytes(item), replay=alone(item))
        except DecodeError as exc:
            if exc.location.record is None:      # a check of ``build`` naming the field: say which record too
                exc = DecodeError(exc.reason, location=ErrorLocation(
                    file=exc.location.file or raw.origin, line=exc.location.line,
                    field=exc.location.field or path, record=index))
            yield RecordReject(exc, raw=json_bytes(item), replay=alone(item))
        else:
            yield from events


def json_bytes(value: Any) -> bytes:
    """JSON of a value as received; text that is not valid Unicode (a lone surrogate sent as ``\\ud800``) is kept
    escaped rather than making the whole message fail."""
    try:
        return json.dumps(value, ensure_ascii=False).encode()
    except UnicodeEncodeError:
        return json.dumps(value).encode()


def notice(fmt: str, event: Envelope[Any]) -> bytes:
    """An event as a partner's JSON notice: ``format``, the event's id, type, time and legal entity, the demand's
    numéro unique and the payload — without the fields the contracts mark as personal (free text), which a partner
    receiving outcomes has no use for."""
    model = type(event.data)
    data = event.data.model_dump(mode="json", exclude={name for name, info in model.model_fields.items()
                                                       if is_personal_field(info)})
    document = {"format": fmt, "id": event.id, "type": event.type, "time": event.time.isoformat(),
                "entity": event.entity.model_dump(mode="json"), "numero_unique": event.subject, "data": data}
    return json.dumps(document, ensure_ascii=False, indent=2).encode() + b"\n"


def schema_of(model: type[BaseModel], title: str) -> dict[str, Any]:
    """The JSON Schema of a wire-format model, titled, for the plugin's committed schema and the gateway's OpenAPI."""
    schema = model.model_json_schema()
    schema["title"] = title
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    return schema
