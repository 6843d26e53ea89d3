"""The error tree of Relais. Only the delivery loop and the ingest pipeline decide what an error means for a
message (acknowledge, retry later, dead-letter); everything else raises one of these.

::

    RelaisError                      root; never raised itself
    ├── ConfigurationError           bad settings or plugin wiring: the hub refuses to start
    │   ├── DuplicateRegistration    two plugins registered the same connector name
    │   └── JournalRevisionError     the journal's schema revision is not this release's: behind (and
    │                                journal_auto_upgrade = false) or ahead (a newer release migrated it)
    ├── StartupError                 a service of the hub could not start (the gateway's port is taken)
    ├── PartnerError                 the partner registry refused an operator's change (unknown partner, an id
    │                                taken, an invalid SIREN or commune); defined in hub.core.partners
    ├── ScaffoldError                ``relais new-connector`` refused (a bundled or invalid name, a directory in
    │                                the way); defined in hub.scaffold
    ├── RetryableError               transient: partner down, 5xx, timeout → retried with backoff, then dead-letter
    └── RejectError                  permanent for this message: dead-lettered at once with the reason
        ├── DecodeError              the raw input cannot be read as the partner's format (file, line, field path)
        ├── ContractError            the decoded event breaks a contract (wraps pydantic, keeps field paths)
        ├── AccessDenied             a source emitting what it may not, or a partner not allowed to receive it
        │   └── ScopeRefused         an authenticated partner speaking for another legal entity, or about a dwelling
        │                            or an event type outside its scopes: the message is refused whole (403),
        │                            never journaled nor kept, and audited (a file of a partner's inbox
        │                            directory: moved to its rejected/ beside a .reason.txt)
        ├── InputTooLarge            an inbound message over the configured size limit
        ├── ConflictingResend        a message id already journaled, sent again with different content
        └── EncodeError              a partner's encoder cannot render an event (its format cannot carry it)
"""

from __future__ import annotations

import difflib
import re
import typing
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "RelaisError", "ConfigurationError", "DuplicateRegistration", "JournalRevisionError", "StartupError",
    "RetryableError", "RejectError", "DecodeError", "ContractError", "AccessDenied", "ScopeRefused", "InputTooLarge",
    "ConflictingResend", "EncodeError",
    "ErrorLocation",
]


@dataclass(frozen=True)
class ErrorLocation:
    """Where in the input a problem is: what an operator needs to find and fix it."""

    file: str | None = None
    line: int | None = None
    field: str | None = None
    record: int | None = None

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v is not None}

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line else ""))
        elif self.line:
            parts.append(f"line {self.line}")
        if self.record is not None:
            parts.append(f"record {self.record}")
        if self.field:
            parts.append(f"field {self.field}")
        return ", ".join(parts)


class RelaisError(Exception):
    """Root of every error Relais raises on purpose."""


class ConfigurationError(RelaisError):
    """The hub cannot start with this configuration; the message says which setting and how to fix it."""

    @classmethod
    def from_validation(cls, exc: Exception, model: type[Any], *, section: tuple[str, ...] = (),
                        source: str = "") -> "ConfigurationError":
        """Turn a pydantic ``ValidationError`` of a settings model into one line per problem that names the
        setting (as written in ``relais.toml``), what is wrong and the fix — for an unknown key, the closest valid
        one, since a misspelt key is the usual cause and would otherwise go unnoticed."""
        from pydantic import ValidationError

        lead = f"{source}: " if source else ""
        if not isinstance(exc, ValidationError):
            return cls(f"{lead}{exc}")
        problems = [_describe_setting_error(e, model, section) for e in exc.errors(include_url=False)]
        return cls(lead + "; ".join(problems))


class DuplicateRegistration(ConfigurationError):
    """Two plugins claim the same connector name."""


class JournalRevisionError(ConfigurationError):
    """The journal's schema is not at the revision this release needs; the message says which revision it is at,
    which one is needed, and the command that fixes it (``relais db upgrade``, or running the newer release)."""

    def __init__(self, message: str, *, current: str | None, head: str):
        super().__init__(message)
        self.current = current
        self.head = head


class StartupError(RelaisError):
    """A service the operator asked for could not start (e.g. the gateway's port is in use): the command fails
    instead of running without it."""


class RetryableError(RelaisError):
    """A transient failure: the same message may succeed later (partner unavailable, 5xx, timeout)."""

    def __init__(self, reason: str, *, retry_after: float | None = None):
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


#: Error types whose offending value is safe and useful to repeat (a misspelt level, a word where a number goes);
#: other values may be secrets (keys, passwords) and are never echoed.
_ECHOED_ERRORS = {"literal_error", "enum", "bool_parsing", "int_parsing", "float_parsing", "int_type", "float_type",
                  "bool_type", "greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_SECRET_NAME = re.compile(r"key|password|secret|token", re.IGNORECASE)


def _settings_fields(model: Any, path: tuple[Any, ...]) -> list[str] | None:
    """The keys valid at ``path`` inside settings ``model`` (None when the path leaves the typed models)."""
    for part in path:
        fields = getattr(model, "model_fields", None)
        if fields is None or part not in fields:
            return None
        annotation = fields[part].annotation
        candidates = [a for a in (typing.get_args(annotation) or (annotation,)) if hasattr(a, "model_fields")]
        if not candidates:
            return None
        model = candidates[0]
    fields = getattr(model, "model_fields", None)
    return sorted(fields) if fields is not None else None


def _describe_setting_error(error: dict[str, Any], model: Any, section: tuple[str, ...]) -> str:
    loc = tuple(error["loc"])
    inner, key = loc[:-1], str(loc[-1]) if loc else ""
    where = ".".join(map(str, (*section, *inner)))
    if error["type"] == "extra_forbidden":
        valid = _settings_fields(model, inner) or []
        place = f"in [{where}]" if where else "at the top level"
        close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"valid keys: {', '.join(valid)}"
        return f"unknown setting {key!r} {place}; {hint}"
    name = ".".join(map(str, (*section, *loc)))
    message = error["msg"]
    if error["type"] in _ECHOED_ERRORS and not _SECRET_NAME.search(name):
        message += f", got {error.get('input')!r}"
    if error["type"] in ("list_type", "dict_type") and isinstance(error.get("input"), str):
        message += " (in an environment variable write it as JSON, e.g. '[\"a\", \"b\"]')"
    return f"{name}: {message}"


@dataclass
class _Problem:
    reason: str
    location: ErrorLocation = field(default_factory=ErrorLocation)


class RejectError(RelaisError):
    """A permanent failure for this message: retrying the same bytes cannot succeed; an operator must fix it.

    ``problems`` lists every issue found (a contract violation may have several field errors), each with where it is.
    """

    def __init__(self, reason: str, *, location: ErrorLocation | None = None,
                 problems: list[dict[str, Any]] | None = None):
        self.reason = reason
        self.location = location or ErrorLocation()
        self.problems = problems or [{"reason": reason, **self.location.as_dict()}]
        where = str(self.location)
        super().__init__(f"{where}: {reason}" if where else reason)


class DecodeError(RejectError):
    """The raw input is not valid in the partner's format."""


class ContractError(RejectError):
    """The decoded event does not satisfy its contract."""

    @classmethod
    def from_validation(cls, exc: Exception, *, location: ErrorLocation | None = None,
                        prefix: str = "") -> "ContractError":
        """Wrap a pydantic ValidationError, keeping every field path, the rule broken and — only for fields the
        contracts do not mark as personal — the offending value (:func:`contracts.errors.describe_validation_error`)."""
        from pydantic import ValidationError

        from contracts.errors import describe_validation_error

        base = location or ErrorLocation()
        where = {k: v for k, v in base.as_dict().items() if k != "field"}
        problems: list[dict[str, Any]] = []
        if isinstance(exc, ValidationError):
            for p in describe_validation_error(exc):
                path = ".".join(x for x in (prefix, p["field"]) if x).replace(".[", "[")
                problem = {"field": path, "rule": p["rule"], "reason": p["message"], **where}
                if "value" in p:
                    problem["value"] = p["value"]
                problems.append(problem)
        if not problems:
            problems.append({"reason": str(exc), **base.as_dict()})
        first = problems[0]
        loc = ErrorLocation(file=base.file, line=base.line, record=base.record, field=first.get("field"))
        summary = "; ".join(f"{p.get('field') or '?'}: {p['reason']}" for p in problems[:5])
        if len(problems) > 5:
            summary += f" (+{len(problems) - 5} more)"
        return cls(summary, location=loc, problems=problems)


class AccessDenied(RejectError):
    """The access rules forbid this flow (see docs/domain.md, "Who may read nominative data")."""


class ScopeRefused(AccessDenied):
    """An authenticated partner's message speaks for another legal entity, about a dwelling outside its stock, or
    carries a type it may not emit. Why apart from :class:`AccessDenied`: the whole message is refused (403) and
    not kept — keeping a forgery would let it be replayed."""


class InputTooLarge(RejectError):
    """The inbound message is larger than the configured limit."""


class ConflictingResend(RejectError):
    """A partner sent again an id the journal already holds (its message or decision id), with different content.

    Same id and same content is a harmless resend; same id and different content would silently lose the change,
    so it is refused (HTTP 409) and kept. ``fields`` names what differs (paths only, never values); ``journaled_id``
    is the event the journal holds under that id."""

    def __init__(self, reason: str, *, fields: tuple[str, ...] = (), journaled_id: str | None = None,
                 location: ErrorLocation | None = None):
        self.fields = tuple(fields)
        self.journaled_id = journaled_id
        super().__init__(reason, location=location,
                         problems=[{"reason": reason, "fields": list(fields), "journaled_id": journaled_id,
                                    **(location or ErrorLocation()).as_dict()}])


class EncodeError(RejectError):
    """A connector's ``encode`` could not render an event in its partner's format (text the format cannot carry, a
    value it has no code for). Rendering is deterministic, so retrying is pointless: the delivery is dead-lettered at
    once, and — since the partner could never receive this event anyway — the demand's later events still go."""
