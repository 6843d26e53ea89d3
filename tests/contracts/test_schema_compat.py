"""The compatibility checker, proven on before/after schema pairs: it must fail on breaking changes and pass on
additive ones, otherwise the snapshot test guards nothing."""

from __future__ import annotations

import copy
from datetime import date
from enum import Enum
from typing import ClassVar

import pytest
from pydantic import BaseModel, ConfigDict, Field

from contracts import REGISTRY
from contracts.compat import IncompatibleSchemaChange, find_incompatibilities, is_compatible


def obj(properties, required=(), **extra):
    return {"type": "object", "properties": properties, "required": list(required), "additionalProperties": False,
            **extra}


STR = {"type": "string"}
INT = {"type": "integer"}
NULLABLE_STR = {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None}
BASE = obj({"a": STR, "b": INT, "c": NULLABLE_STR}, required=["a", "b"])


def reasons(old, new):
    return [p.reason for p in find_incompatibilities(old, new)]


@pytest.mark.parametrize("name, new, expected", [
    ("field removed", obj({"a": STR, "b": INT}, required=["a", "b"]), "field removed"),
    ("field retyped", obj({"a": INT, "b": INT, "c": NULLABLE_STR}, required=["a", "b"]), "type changed"),
    ("newly required", obj({"a": STR, "b": INT, "c": NULLABLE_STR}, required=["a", "b", "c"]), "newly required"),
    ("new required field", obj({"a": STR, "b": INT, "c": NULLABLE_STR, "d": STR}, required=["a", "b", "d"]),
     "newly required"),
    ("null no longer accepted", obj({"a": STR, "b": INT, "c": STR}, required=["a", "b"]), "type changed"),
    ("tighter length", obj({"a": {"type": "string", "maxLength": 5}, "b": INT, "c": NULLABLE_STR},
                           required=["a", "b"]), "maxLength tightened"),
    ("new pattern", obj({"a": {"type": "string", "pattern": "^x$"}, "b": INT, "c": NULLABLE_STR},
                        required=["a", "b"]), "pattern changed"),
    ("tighter minimum", obj({"a": STR, "b": {"type": "integer", "minimum": 0}, "c": NULLABLE_STR},
                            required=["a", "b"]), "minimum tightened"),
    ("integer became string", obj({"a": STR, "b": STR, "c": NULLABLE_STR}, required=["a", "b"]), "type changed"),
])
def test_breaking_changes_are_reported(name, new, expected):
    found = reasons(BASE, new)
    assert any(expected in r for r in found), (name, found)
    assert not is_compatible(BASE, new)


@pytest.mark.parametrize("name, new", [
    ("identical", BASE),
    ("new optional field", obj({"a": STR, "b": INT, "c": NULLABLE_STR, "d": NULLABLE_STR}, required=["a", "b"])),
    ("field no longer required", obj({"a": STR, "b": INT, "c": NULLABLE_STR}, required=["a"])),
    ("integer widened to number", obj({"a": STR, "b": {"type": "number"}, "c": NULLABLE_STR}, required=["a", "b"])),
    ("null now accepted", obj({"a": {"anyOf": [STR, {"type": "null"}]}, "b": INT, "c": NULLABLE_STR},
                              required=["a", "b"])),
    ("annotations changed", obj({"a": {**STR, "description": "new", "x-personal": True}, "b": INT,
                                 "c": NULLABLE_STR}, required=["a", "b"], title="Other")),
])
def test_additive_changes_are_accepted(name, new):
    assert find_incompatibilities(BASE, new) == [], name


def test_enum_values():
    old = {"enum": ["a", "b"], "type": "string"}
    assert reasons(old, {"enum": ["a", "b", "c"], "type": "string"}) == []
    assert any("values removed: ['b']" in r for r in reasons(old, {"enum": ["a"], "type": "string"}))
    assert any("restricted to the values" in r for r in reasons(STR, old))


def test_refs_are_followed_and_cycles_terminate():
    def doc(node_props):
        return {"$ref": "#/$defs/Node", "$defs": {"Node": obj(node_props, required=["name"])}}

    child = {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}], "default": None}
    old = doc({"name": STR, "child": child, "note": NULLABLE_STR})
    assert find_incompatibilities(old, copy.deepcopy(old)) == []
    new = doc({"name": STR, "child": child})
    found = [str(p) for p in find_incompatibilities(old, new)]
    assert "$.note: field removed" in found and "$.child.note: field removed" in found


def test_arrays():
    old = {"type": "array", "items": STR}
    assert reasons(old, {"type": "array", "items": {"anyOf": [STR, INT]}}) == []
    assert any("type changed" in r for r in reasons(old, {"type": "array", "items": INT}))
    assert any("minItems" in r for r in reasons(old, {"type": "array", "items": STR, "minItems": 1}))
    assert any("unique" in r for r in reasons(old, {"type": "array", "items": STR, "uniqueItems": True}))


def test_unknown_keywords_are_conservatively_breaking():
    assert reasons(STR, {**STR, "contentEncoding": "base64"})
    assert reasons({**STR, "x-anything": 1}, STR) == []


# --- on real pydantic models: the kind of change a developer makes --------------------------------------------

class Kind(str, Enum):
    A = "a"
    B = "b"


class KindNarrow(str, Enum):
    A = "a"


class V1(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", title="Event")
    event_type: ClassVar[str] = "exemple.v1"
    numero: str
    quand: date
    kind: Kind
    note: str | None = None


class V1Additive(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", title="Event")
    numero: str
    quand: date
    kind: Kind
    note: str | None = None
    nouveau: int | None = Field(default=None, ge=0)


class V1Breaking(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", title="Event")
    numero: int
    quand: date
    kind: KindNarrow


def test_pydantic_model_changes():
    old = V1.model_json_schema()
    assert find_incompatibilities(old, V1Additive.model_json_schema()) == []
    found = {str(p) for p in find_incompatibilities(old, V1Breaking.model_json_schema())}
    assert "$.note: field removed" in found
    assert any(p.startswith("$.numero: type changed") for p in found)
    assert any(p.startswith("$.kind: values removed") for p in found)


def test_real_contract_mutations():
    schema = REGISTRY.envelope_model("demande_enregistree.v1").model_json_schema()
    assert find_incompatibilities(schema, schema) == []
    removed = copy.deepcopy(schema)
    del removed["$defs"]["Demandeur"]["properties"]["prenom"]
    found = [str(p) for p in find_incompatibilities(schema, removed)]
    assert found == ["$.data.demande.demandeur.prenom: field removed"]
    narrowed = copy.deepcopy(schema)
    narrowed["$defs"]["CodeRessource"]["enum"].remove("PAV")
    assert any("values removed: ['PAV']" in str(p) for p in find_incompatibilities(schema, narrowed))


def test_incompatible_change_error_suggests_next_version():
    error = IncompatibleSchemaChange("decision_cal.v1", find_incompatibilities(BASE, obj({"a": STR}, ["a"])))
    assert "decision_cal.v2" in str(error) and "field removed" in str(error)
