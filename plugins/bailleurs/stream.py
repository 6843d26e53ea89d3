"""Reading a large decisions document without holding it whole in memory.

Why: ``json.loads`` of a 19 MB document of 120,000 decisions builds ~90 MB of Python objects, held while every
decision is validated and journaled; the gateway's memory then grew by 6 times the body. Here a first pass of the
C streaming parser (``ijson``, yajl) checks the whole document's syntax and keeps only its small members (format,
bailleur, correlation id), and a second pass yields the decisions one at a time: memory is the body plus one chunk
of events, whatever the number of decisions.

Nothing is streamed that ``json.loads`` would read differently: a body under :data:`STREAM_OVER`, a document the
streaming parser does not take (not UTF-8, a BOM, ``NaN``, a lone surrogate, a syntax error), whose root is not an
object, whose ``decisions`` is not a list or whose top-level keys repeat — all go back to ``json.loads``, which
gives the answer (and the error message, line and column) it always gave. The whole document is read before the
first decision is yielded, so a syntax error near its end still refuses it before anything is journaled.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ijson

__all__ = ["STREAM_OVER", "Streamed", "streamed"]

#: Bodies up to this size are read with ``json.loads`` (the gateway journals larger ones a chunk at a time).
STREAM_OVER = 1024 * 1024

_STARTS = ("start_map", "start_array")
_ENDS = ("end_map", "end_array")


@dataclass(frozen=True)
class Streamed:
    """A decisions document read once: its members other than ``decisions`` (``head``) and how many decisions."""

    body: bytes
    head: dict[str, Any]
    count: int

    def decisions(self) -> Iterator[Any]:
        """The decisions, one at a time, in the document's order."""
        return ijson.items(io.BytesIO(self.body), "decisions.item", use_float=True)


def streamed(body: bytes) -> Streamed | None:
    """The document read by the streaming parser, or None when ``json.loads`` must read it (see the module)."""
    if len(body) <= STREAM_OVER:
        return None
    try:
        return _scan(body)
    except (ijson.JSONError, ValueError, UnicodeError):   # json.loads will say what is wrong, as it always did
        return None


def _scan(body: bytes) -> Streamed | None:
    head: dict[str, Any] = {}
    depth, key, count, closed = 0, None, 0, False
    has_decisions = False
    builder: ijson.ObjectBuilder | None = None
    for _prefix, event, value in ijson.parse(io.BytesIO(body), use_float=True):
        if closed:
            return None
        if depth == 0:
            if event != "start_map":
                return None
            depth = 1
            continue
        if depth == 1 and event == "map_key":
            if value in head or (value == "decisions" and has_decisions):
                return None                   # a repeated key: json.loads keeps the last one
            key = value
            continue
        if depth == 1 and event == "end_map":
            closed = True
            continue
        if key == "decisions":
            if depth == 1:
                if event != "start_array":
                    return None
                has_decisions = True
            elif depth == 2 and event not in _ENDS:
                count += 1                    # a decision starts (an object, or anything else: rejected later)
        else:
            builder = builder or ijson.ObjectBuilder()
            builder.event(event, value)
        if event in _STARTS:
            depth += 1
        elif event in _ENDS:
            depth -= 1
        if depth == 1 and key != "decisions" and builder is not None:
            head[key] = builder.value
            builder = None
    return Streamed(body, head, count) if closed and has_decisions else None
