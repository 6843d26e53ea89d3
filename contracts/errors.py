"""Readable, privacy-safe descriptions of contract violations.

Why: a rejected message goes to the dead-letter store and to logs, where an operator must see *which* field broke
*which* rule — but never a name, a birth date, an income or a free-text situation (docs/architecture.md, invariant 4).
Whether a field is personal is read from the models themselves (:func:`contracts.base.personal`,
:data:`contracts.base.PERSONAL_MODEL`), so a new personal field is masked without touching this module. When the
path cannot be followed through the models, the value is masked: failing safe.
"""

from __future__ import annotations

import re
import types
from functools import lru_cache
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from contracts.base import Contract, is_personal_field, is_personal_model

__all__ = ["describe_validation_error", "MASKED"]

#: Stands for a value that is not shown.
MASKED = "<masked>"

_SCALARS = (str, int, float, bool, type(None))
_MAX_SHOWN = 200
_PREFIXES = ("Value error, ", "Assertion failed, ")
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")


def describe_validation_error(exc: ValidationError, model: type[BaseModel] | None = None) -> list[dict[str, Any]]:
    """One dict per error: ``field`` (dotted path with ``[i]`` indexes), ``rule`` (pydantic's error type),
    ``message``, and ``value`` only when the field is not personal data (``masked: True`` says a value was hidden).

    ``model`` is the model that was validated; by default it is found from the error's title (any contract model,
    any registered event type or its envelope).
    """
    root = model or _model_by_title(exc.title)
    problems = []
    for error in exc.errors(include_url=False):
        path, is_personal, resolved = _walk(root, error.get("loc", ()))
        message = error.get("msg", "")
        for prefix in _PREFIXES:
            if message.startswith(prefix):
                message = message[len(prefix):]
        problem: dict[str, Any] = {"field": path, "rule": error.get("type", "unknown"), "message": message}
        value = error.get("input")
        if is_personal or not resolved or root is None:
            problem["masked"] = True
            if problem["rule"] == "value_error":  # our checks quote the wrong part: hide it too
                problem["message"] = _QUOTED.sub(f"'{MASKED}'", message)
        elif isinstance(value, _SCALARS) and error.get("type") != "missing":
            problem["value"] = value[:_MAX_SHOWN] if isinstance(value, str) else value
        problems.append(problem)
    return problems


@lru_cache(maxsize=None)
def _models_by_name() -> dict[str, type[BaseModel]]:
    from contracts.registry import REGISTRY  # late: the registry is filled when contracts.events is imported

    found: dict[str, type[BaseModel]] = {}
    pending: list[type[BaseModel]] = [Contract]
    while pending:
        cls = pending.pop()
        found.setdefault(cls.__name__, cls)
        pending.extend(cls.__subclasses__())
    for event_type in REGISTRY.types():
        envelope = REGISTRY.envelope_model(event_type)
        found[envelope.__name__] = envelope
    return found


def _model_by_title(title: str) -> type[BaseModel] | None:
    found = _models_by_name().get(title)
    if found is None:
        _models_by_name.cache_clear()  # a model defined after the first call
        found = _models_by_name().get(title)
    return found


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


def _union_members(annotation: Any) -> list[Any] | None:
    if get_origin(annotation) in (Union, types.UnionType):
        return [_strip(a) for a in get_args(annotation) if a is not type(None)]
    return None


def _is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def _walk(root: type[BaseModel] | None, loc: tuple[Any, ...]) -> tuple[str, bool, bool]:
    """Follow an error location through the models: (display path, personal?, fully resolved?)."""
    path = ""
    if root is None:
        return ".".join(str(p) for p in loc), True, False
    personal = is_personal_model(root)
    resolved = True
    current: Any = root
    for segment in loc:
        current = _strip(current)
        members = _union_members(current)
        if members is not None:
            if len(members) == 1:
                current = members[0]
            else:
                by_name = [m for m in members if _is_model(m) and m.__name__ == segment]
                if by_name:  # pydantic names the union member it tried: not part of the path
                    current = by_name[0]
                    personal = personal or is_personal_model(current)
                    continue
                owners = [m for m in members if _is_model(m) and isinstance(segment, str) and segment in m.model_fields]
                if len(owners) == 1:
                    current = owners[0]
                else:  # a tag such as "function-after[...]": stay on the union, which may hold personal members
                    personal = personal or any(_is_model(m) and is_personal_model(m) for m in members)
                    continue
        if _is_model(current) and is_personal_model(current):
            personal = True
        if isinstance(segment, int):
            path += f"[{segment}]"
            if get_origin(current) in (tuple, list):
                current = _strip(get_args(current)[0])
            else:
                resolved = False
                current = Any
            continue
        path = f"{path}.{segment}" if path else str(segment)
        if _is_model(current) and segment in current.model_fields:
            info = current.model_fields[segment]
            personal = personal or is_personal_field(info)
            current = info.annotation
        else:
            resolved = False
            current = Any
    return path, personal or _holds_personal_model(current), resolved


def _holds_personal_model(annotation: Any) -> bool:
    """Whether the value at the end of the path is (or may be) a personal model: it is a structure of them."""
    annotation = _strip(annotation)
    members = _union_members(annotation)
    if members is not None:
        return any(_holds_personal_model(m) for m in members)
    if get_origin(annotation) in (tuple, list):
        return _holds_personal_model(get_args(annotation)[0])
    return _is_model(annotation) and is_personal_model(annotation)
