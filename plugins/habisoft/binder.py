"""Contract models ↔ Habisoft XML, by rule rather than by hand: the format *is* the contracts written in XML.

Why generic: Habisoft has no public specification, so Relais defines its format as a fixed rendering of the
contracts. One set of rules then carries every event losslessly, the XSD is derived from the same rules
(:mod:`plugins.habisoft.xsd`), and a new optional field in a contract appears in the format without code.

The rules (also in ``plugins/habisoft/README.md``):

* a model is an element whose children are its fields, in declaration order, named in lowerCamelCase
  (:func:`plugins.habisoft.codes.element_name`);
* a field that is None, or equal to its default, is omitted (absent means default);
* a coded value is an empty element with a ``code`` attribute (``<civilite code="2"/>``), as in the SNE format;
* a list is a wrapper element named after the field, with one child per item named by
  :data:`plugins.habisoft.codes.ITEM_NAMES`;
* a date is ``xs:date``, a date-time ``xs:dateTime``, a boolean ``true``/``false``, numbers in decimal;
* a value that is either a legal entity or a code (a desk, :data:`contracts.Guichet`) is an element holding either
  ``siren`` and ``nom``, or a single ``code`` child.
"""

from __future__ import annotations

import types
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum
from typing import Annotated, Any, Literal, Union, get_args, get_origin

from lxml import etree
from pydantic import BaseModel

from plugins.habisoft.codes import ITEM_NAMES, element_name
from plugins.habisoft.schema import q

__all__ = ["Shape", "shape_of", "write_model", "read_model", "reachable_models", "reachable_enums", "BindingError"]


class BindingError(ValueError):
    """A value the rules cannot read; ``element`` says where."""

    def __init__(self, reason: str, element: etree._Element):
        super().__init__(reason)
        self.reason = reason
        self.element = element


@dataclass(frozen=True)
class Shape:
    """How one field is written: ``kind`` is enum, model, list, union, date, datetime, bool, int, float or str."""

    kind: str
    target: Any = None            # the enum or model class; the item Shape of a list; the model of a union
    item_name: str | None = None  # for lists


def _strip(annotation: Any) -> Any:
    while get_origin(annotation) is Annotated:
        annotation = get_args(annotation)[0]
    return annotation


_SCALARS = {bool: "bool", int: "int", float: "float", str: "str", date: "date", datetime: "datetime"}


def shape_of(annotation: Any, field: str) -> Shape:
    """The shape of a field's annotation (``Optional`` removed: absence is how None is written)."""
    annotation = _strip(annotation)
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        members = [_strip(a) for a in get_args(annotation) if a is not type(None)]
        if len(members) == 1:
            return shape_of(members[0], field)
        models = [m for m in members if isinstance(m, type) and issubclass(m, BaseModel)]
        if len(models) == 1 and len(members) == 2:
            return Shape("union", models[0])
        raise TypeError(f"field {field!r}: union {annotation!r} has no Habisoft rule")
    if origin is tuple:
        if field not in ITEM_NAMES:
            raise TypeError(f"field {field!r} is a list: name its items in plugins/habisoft/codes.py ITEM_NAMES")
        return Shape("list", shape_of(get_args(annotation)[0], field + "[]"), ITEM_NAMES[field])
    if origin is Literal:
        return Shape("str")
    if isinstance(annotation, type):
        if issubclass(annotation, Enum):
            return Shape("enum", annotation)
        if issubclass(annotation, BaseModel):
            return Shape("model", annotation)
        # datetime before date: a datetime is a date
        for scalar in (bool, datetime, date, int, float, str):
            if issubclass(annotation, scalar):
                return Shape(_SCALARS[scalar])
    raise TypeError(f"field {field!r}: {annotation!r} has no Habisoft rule")


_SHAPES: dict[type[BaseModel], list[tuple[str, str, Shape, Any, bool]]] = {}


def _fields(model: type[BaseModel]) -> list[tuple[str, str, Shape, Any, bool]]:
    """(field, element name, shape, default, required) for each field of ``model``, computed once per model."""
    found = _SHAPES.get(model)
    if found is None:
        found = []
        for name, info in model.model_fields.items():
            required = info.is_required()
            default = None if required else info.get_default(call_default_factory=True)
            found.append((name, element_name(name), shape_of(info.annotation, name), default, required))
        _SHAPES[model] = found
    return found


# --- writing ------------------------------------------------------------------------------------------------------

def _text(value: Any, kind: str) -> str:
    if kind == "bool":
        return "true" if value else "false"
    if kind in ("date", "datetime"):
        return value.isoformat()
    if kind == "float":
        return repr(float(value))
    return str(value)


def _write_value(parent: etree._Element, name: str, value: Any, shape: Shape) -> None:
    if shape.kind == "enum":
        etree.SubElement(parent, q(name), code=value.value)
    elif shape.kind == "model":
        write_model(etree.SubElement(parent, q(name)), value)
    elif shape.kind == "list":
        wrapper = etree.SubElement(parent, q(name))
        for item in value:
            _write_value(wrapper, shape.item_name, item, shape.target)
    elif shape.kind == "union":
        element = etree.SubElement(parent, q(name))
        if isinstance(value, BaseModel):
            write_model(element, value)
        else:
            etree.SubElement(element, q("code")).text = str(value)
    else:
        etree.SubElement(parent, q(name)).text = _text(value, shape.kind)


def write_model(element: etree._Element, model: BaseModel) -> etree._Element:
    """Append ``model``'s fields to ``element`` by the module's rules; returns ``element``."""
    for field, name, shape, default, required in _fields(type(model)):
        value = getattr(model, field)
        if value is None or (not required and value == default):
            continue
        _write_value(element, name, value, shape)
    return element


# --- reading ------------------------------------------------------------------------------------------------------

def _read_value(element: etree._Element, shape: Shape) -> Any:
    kind = shape.kind
    if kind == "enum":
        code = element.get("code")
        if code is None:
            raise BindingError("a coded value needs a code attribute", element)
        return code
    if kind == "model":
        return read_model(element, shape.target)
    if kind == "list":
        item_tag = q(shape.item_name)
        return [_read_value(child, shape.target) for child in element if child.tag == item_tag]
    if kind == "union":
        code = element.find(q("code"))
        return (code.text or "").strip() if code is not None else read_model(element, shape.target)
    text = (element.text or "").strip()
    if kind == "bool":
        if text not in ("true", "false", "1", "0"):
            raise BindingError(f"{text!r} is not a boolean", element)
        return text in ("true", "1")
    return text    # dates, numbers and strings: pydantic converts and checks them


def read_model(element: etree._Element, model: type[BaseModel]) -> dict[str, Any]:
    """The fields of ``model`` read from ``element``'s children, as the input of ``model.model_validate``;
    children of other namespaces (extension points) are left alone."""
    children: dict[str, etree._Element] = {}
    for child in element:
        if isinstance(child.tag, str):
            children.setdefault(child.tag, child)
    values: dict[str, Any] = {}
    for field, name, shape, _default, _required in _fields(model):
        child = children.get(q(name))
        if child is not None:
            values[field] = _read_value(child, shape)
    return values


# --- walking the contracts (for the XSD and the code tables) -----------------------------------------------------

def _walk(models: Iterable[type[BaseModel]]) -> tuple[list[type[BaseModel]], list[type[Enum]]]:
    seen_models: list[type[BaseModel]] = []
    seen_enums: list[type[Enum]] = []
    pending = list(models)
    while pending:
        model = pending.pop(0)
        if model in seen_models:
            continue
        seen_models.append(model)
        for _field, _name, shape, _default, _required in _fields(model):
            while shape.kind == "list":
                shape = shape.target
            if shape.kind in ("model", "union"):
                pending.append(shape.target)
            elif shape.kind == "enum" and shape.target not in seen_enums:
                seen_enums.append(shape.target)
    return seen_models, seen_enums


def reachable_models(models: Iterable[type[BaseModel]]) -> list[type[BaseModel]]:
    """Every model used by ``models``, themselves first, in a stable order (the XSD's type order)."""
    return _walk(models)[0]


def reachable_enums(models: Iterable[type[BaseModel]]) -> list[type[Enum]]:
    """Every enum used by ``models``, in a stable order."""
    return _walk(models)[1]
