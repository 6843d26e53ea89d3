"""Assertions for connector authors: "this raw input becomes these events" and "this event renders to this output",
written inline or against golden files kept beside the tests (``tests/golden/``).

Decoding goes through the hub's own ingest checks (size limit, contract validation, the connector's ``emits``), so
a test sees exactly what the hub would journal or dead-letter. Golden files are only ever written on request
(``pytest --relais-update-golden``): a missing one fails, since a test that writes its own expectation cannot fail.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from contracts import Envelope
from hub.core.connector import Connector, OutboundMessage, RawMessage
from hub.core.ingest import Rejection
from hub.testing.samples import raw_message

__all__ = ["Decoded", "decode", "render_decoded", "assert_decodes", "assert_encodes", "Golden", "MASK"]

#: What a masked field (``ignore=``) shows in renderings: the value is generated, so it cannot be compared.
MASK = "<generated>"


@dataclass(frozen=True)
class Decoded:
    """The outcome of decoding one message: accepted events and rejections (what would be dead-lettered)."""

    events: list[Envelope[Any]]
    rejections: list[Rejection]

    @property
    def problems(self) -> list[dict[str, Any]]:
        """Every problem of every rejection, each with its location (``field``, ``line``, ``record``)."""
        return [p for r in self.rejections for p in r.error.problems]


def decode(connector: Connector, raw: bytes | str | Path | RawMessage) -> Decoded:
    """Decode ``raw`` with ``connector`` and check the result as the hub's ingest does, without a journal."""
    from hub.core.ingest import Ingestor
    from hub.core.routing import AccessPolicy
    accepted, rejections = Ingestor(journal=None, policy=AccessPolicy()).decode(connector,  # type: ignore[arg-type]
                                                                                raw_message(raw))
    return Decoded(accepted, rejections)


def _masked(document: dict[str, Any], ignore: Sequence[str]) -> dict[str, Any]:
    """Replace the value at each dotted path (``id``, ``data.date_designation``) by :data:`MASK`."""
    for dotted in ignore:
        node: Any = document
        *parents, last = dotted.split(".")
        for key in parents:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict) and last in node:
            node[last] = MASK
    return document


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value


def _event_dict(event: Envelope[Any] | Mapping[str, Any], ignore: Sequence[str]) -> dict[str, Any]:
    """An event as compared: its JSON form without unset (null) attributes, so that a contract gaining an optional
    field in a compatible release leaves every connector's golden files as they are."""
    document = event.model_dump(mode="json") if isinstance(event, Envelope) else json.loads(json.dumps(event))
    return _masked(_without_none(document), ignore)


def render_decoded(decoded: Decoded, ignore: Sequence[str] = ("id",)) -> str:
    """A stable JSON rendering of a decoding outcome: what golden files hold."""
    document = {
        "events": [_event_dict(e, ignore) for e in decoded.events],
        "rejected": [{"reason": r.error.reason, "line": r.line, "problems": r.error.problems}
                     for r in decoded.rejections],
    }
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, default=str) + "\n"


def _diff(expected: str, actual: str, label: str) -> str:
    lines = difflib.unified_diff(expected.splitlines(keepends=True), actual.splitlines(keepends=True),
                                 fromfile=f"expected {label}", tofile=f"actual {label}")
    return "".join(lines)


def assert_decodes(connector: Connector, raw: bytes | str | Path | RawMessage,
                   expected: Sequence[Envelope[Any] | Mapping[str, Any]], *, ignore: Sequence[str] = ("id",),
                   rejections: int = 0) -> Decoded:
    """Fail unless ``raw`` decodes to ``expected`` (envelopes or their JSON form), fields in ``ignore`` aside, with
    exactly ``rejections`` rejected messages or records."""
    decoded = decode(connector, raw)
    want = json.dumps([_event_dict(e, ignore) for e in expected], indent=2, sort_keys=True, default=str)
    got = json.dumps([_event_dict(e, ignore) for e in decoded.events], indent=2, sort_keys=True, default=str)
    if want != got:
        pytest.fail(f"{connector.name}.decode() gave other events:\n{_diff(want, got, 'events')}", pytrace=False)
    if len(decoded.rejections) != rejections:
        reasons = "\n".join(f"  - {r.error}" for r in decoded.rejections) or "  (none)"
        pytest.fail(f"{connector.name}.decode(): expected {rejections} rejection(s), got "
                    f"{len(decoded.rejections)}:\n{reasons}", pytrace=False)
    return decoded


def assert_encodes(connector: Connector, event: Envelope[Any], expected: bytes | str | Mapping[str, Any] | list[Any],
                   ) -> OutboundMessage:
    """Fail unless ``connector.encode(event)`` renders ``expected``: exact bytes or text, or, given a mapping or a
    list, the same JSON document whatever the formatting."""
    message = connector.encode(event)
    if not isinstance(message, OutboundMessage):
        pytest.fail(f"{connector.name}.encode() returned {type(message).__name__}, not an OutboundMessage",
                    pytrace=False)
    if isinstance(expected, (Mapping, list)):
        try:
            actual: Any = json.loads(message.body)
        except ValueError as exc:
            pytest.fail(f"{connector.name}.encode() did not render JSON: {exc}", pytrace=False)
        if actual != expected:
            want = json.dumps(expected, indent=2, sort_keys=True, ensure_ascii=False, default=str)
            got = json.dumps(actual, indent=2, sort_keys=True, ensure_ascii=False, default=str)
            pytest.fail(f"{connector.name}.encode() rendered another document:\n{_diff(want, got, 'body')}",
                        pytrace=False)
        return message
    want_bytes = expected.encode() if isinstance(expected, str) else expected
    if message.body != want_bytes:
        pytest.fail(f"{connector.name}.encode() rendered other bytes:\n"
                    f"{_diff(want_bytes.decode(errors='replace'), message.body.decode(errors='replace'), 'body')}",
                    pytrace=False)
    return message


class Golden:
    """Golden files in one directory; ``update=True`` (``--relais-update-golden``) rewrites them instead of
    comparing, so that a deliberate change of format is one command and a reviewable diff."""

    def __init__(self, directory: Path, update: bool = False):
        self.directory = directory
        self.update = update

    def path(self, name: str) -> Path:
        return self.directory / name

    def check(self, name: str, actual: str | bytes) -> None:
        """Compare ``actual`` with the golden file ``name`` (or rewrite it when updating)."""
        path = self.path(name)
        data = actual.encode() if isinstance(actual, str) else actual
        if self.update:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_bytes() != data:
                path.write_bytes(data)
            return
        if not path.exists():
            pytest.fail(f"golden file {path} does not exist: run pytest --relais-update-golden to write it, "
                        "then review it before committing", pytrace=False)
        expected = path.read_bytes()
        if expected != data:
            pytest.fail(f"output differs from golden file {path} (pytest --relais-update-golden rewrites it if the "
                        f"change is intended):\n"
                        f"{_diff(expected.decode(errors='replace'), data.decode(errors='replace'), name)}",
                        pytrace=False)

    def assert_decodes(self, connector: Connector, raw: bytes | str | Path | RawMessage, name: str, *,
                       ignore: Sequence[str] = ("id",)) -> Decoded:
        """``raw`` decodes to what the golden file ``name`` holds (events and rejections, ``ignore`` masked)."""
        decoded = decode(connector, raw)
        self.check(name, render_decoded(decoded, ignore))
        return decoded

    def assert_encodes(self, connector: Connector, event: Envelope[Any], name: str) -> OutboundMessage:
        """``event`` renders to exactly the bytes of the golden file ``name``."""
        message = connector.encode(event)
        if not isinstance(message, OutboundMessage):
            pytest.fail(f"{connector.name}.encode() returned {type(message).__name__}, not an OutboundMessage",
                        pytrace=False)
        self.check(name, message.body)
        return message
