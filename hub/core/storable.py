"""Text the journal cannot keep: a NUL character (PostgreSQL refuses it in text) and a lone UTF-16 surrogate (not
Unicode text; it cannot even be written as UTF-8). Both are refused at decoding, with the field path, so that one bad
value is one rejected record — never a failed group commit or an event no partner's encoder can render.

The check serialises the envelope; :func:`journal_text` gives that same text to the journal, which stores it as the
event's body, instead of serialising the envelope a second time (py-spy: ``model_dump_json`` was 8 % of the hub
threads' samples, the journal's copy the larger part).
"""

from __future__ import annotations

import re
import weakref
from typing import Any

from pydantic_core import PydanticSerializationError

from contracts import Envelope
from hub.core.errors import ContractError, ErrorLocation

__all__ = ["unstorable_text", "journal_text"]

_BAD = re.compile("[\x00\ud800-\udfff]")


def unstorable_text(envelope: Envelope[Any], location: ErrorLocation) -> ContractError | None:
    """A :class:`ContractError` naming the first field holding text the journal cannot store, or None.

    Why serialise first: it is the cheap, common path (one C-level pass); the walk that finds the field runs only
    when something is wrong."""
    try:
        text = envelope.model_dump_json()
        if "\\u0000" not in text:
            _remember(envelope, text)
            return None
    except PydanticSerializationError:
        pass   # a lone surrogate cannot be serialised: find it
    found = _find(envelope.model_dump(mode="python"), "")
    if found is None:
        return None
    path, char = found
    what = ("a NUL character (U+0000), which the journal cannot store" if char == "\x00" else
            f"a lone surrogate (U+{ord(char):04X}), which is not valid Unicode text")
    return ContractError(f"{path}: contains {what}; remove it (check the sender's text encoding) and resend",
                         location=ErrorLocation(file=location.file, line=location.line, record=location.record,
                                                field=path))


#: id(envelope) → (a weak reference to it, its JSON text): the texts of checked envelopes still alive. An envelope
#: is frozen, so its text cannot change; a copy (``model_copy``) is another object and is serialised again.
_texts: dict[int, tuple[weakref.ref, str]] = {}


def _remember(envelope: Envelope[Any], text: str) -> None:
    key = id(envelope)

    def forget(ref: weakref.ref, key: int = key) -> None:
        if _texts.get(key, (None,))[0] is ref:   # not an entry of a newer object given the same id
            _texts.pop(key, None)

    _texts[key] = (weakref.ref(envelope, forget), text)


def journal_text(envelope: Envelope[Any]) -> str:
    """The envelope's JSON as the journal stores it: the text its check serialised, or serialised now."""
    entry = _texts.get(id(envelope))
    if entry is not None and entry[0]() is envelope:
        return entry[1]
    return envelope.model_dump_json()


def _find(value: Any, path: str) -> tuple[str, str] | None:
    if isinstance(value, str):
        match = _BAD.search(value)
        return (path or "$", match.group()) if match else None
    if isinstance(value, dict):
        for key, item in value.items():
            found = _find(key, path) if isinstance(key, str) else None
            found = found or _find(item, f"{path}.{key}" if path else str(key))
            if found:
                return found
    elif isinstance(value, (list, tuple, set, frozenset)):
        for index, item in enumerate(value):
            found = _find(item, f"{path}[{index}]")
            if found:
                return found
    return None
