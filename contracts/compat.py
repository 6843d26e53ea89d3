"""Is a new JSON Schema of an event type compatible with the published one?

The rule (see ``contracts/README.md``): within one version of an event type, **every document valid under the
published schema must stay valid under the new one** — the journal replays old events and partners keep sending
what they sent. So a new optional field, a new enum value, a looser limit are fine; a removed field (models forbid
extra fields), a changed type, a newly required field, a removed enum value, a tighter limit or a changed pattern
are not: they need a new version (``name.v2``) and an upcaster.

The checker walks both schemas side by side (resolving local ``$ref``), and reports each place where the new schema
would reject something the old one accepted. It is conservative: what it cannot prove compatible (a changed
pattern, an unknown keyword) it reports.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Incompatibility", "IncompatibleSchemaChange", "find_incompatibilities", "is_compatible"]

# Keywords that annotate without constraining.
_ANNOTATIONS = frozenset({
    "title", "description", "default", "examples", "$comment", "deprecated", "readOnly", "writeOnly", "$schema",
    "$id", "$defs", "definitions", "discriminator",
})
# Keywords compared by dedicated rules below.
_HANDLED = frozenset({
    "type", "enum", "const", "properties", "required", "additionalProperties", "items", "prefixItems",
    "minItems", "maxItems", "uniqueItems", "minLength", "maxLength", "pattern", "format", "minimum", "maximum",
    "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minProperties", "maxProperties", "anyOf", "oneOf",
    "allOf", "$ref",
})
_LOWER_BOUNDS = ("minLength", "minItems", "minProperties", "minimum", "exclusiveMinimum")
_UPPER_BOUNDS = ("maxLength", "maxItems", "maxProperties", "maximum", "exclusiveMaximum")


@dataclass(frozen=True)
class Incompatibility:
    """A place where the new schema rejects documents the old one accepted."""

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


class IncompatibleSchemaChange(Exception):
    """A published schema would change incompatibly without a version bump."""

    def __init__(self, event_type: str, problems: list[Incompatibility]):
        self.event_type = event_type
        self.problems = problems
        details = "; ".join(str(p) for p in problems[:10])
        super().__init__(
            f"{event_type}: incompatible change of a published contract ({details}). Publish a new version "
            f"(e.g. {_next_version(event_type)}) and register an upcaster instead."
        )


def _next_version(event_type: str) -> str:
    name, _, version = event_type.rpartition(".v")
    return f"{name}.v{int(version) + 1}" if version.isdigit() else event_type + ".v2"


def is_compatible(old: dict[str, Any], new: dict[str, Any]) -> bool:
    return not find_incompatibilities(old, new)


def find_incompatibilities(old: dict[str, Any], new: dict[str, Any]) -> list[Incompatibility]:
    """Every place where ``new`` rejects documents ``old`` accepted (empty: compatible)."""
    return _Checker(old, new).compare(old, new, "$")


class _Checker:
    def __init__(self, old_root: dict[str, Any], new_root: dict[str, Any]):
        self.old_root = old_root
        self.new_root = new_root
        self.in_progress: set[tuple[str | None, str | None]] = set()

    # -- helpers ---------------------------------------------------------------------------------------------
    @staticmethod
    def _resolve(schema: Any, root: dict[str, Any]) -> Any:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema:
            ref = schema["$ref"]
            if not ref.startswith("#/"):
                raise ValueError(f"only local $ref are supported, got {ref!r}")
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            siblings = {k: v for k, v in schema.items() if k != "$ref"}
            schema = {**target, **siblings} if siblings else target
            seen += 1
            if seen > 100:
                raise ValueError(f"$ref loop at {ref!r}")
        return schema

    @staticmethod
    def _branches(schema: dict[str, Any]) -> list[Any] | None:
        for key in ("anyOf", "oneOf"):
            if key in schema:
                rest = {k: v for k, v in schema.items() if k not in ("anyOf", "oneOf")}
                constraining = {k: v for k, v in rest.items() if k not in _ANNOTATIONS}
                return [({**constraining, **b} if isinstance(b, dict) and constraining else b) for b in schema[key]]
        return None

    @staticmethod
    def _types(schema: dict[str, Any]) -> set[str] | None:
        if "type" in schema:
            declared = schema["type"]
            return set(declared) if isinstance(declared, list) else {declared}
        values = schema.get("enum", [schema["const"]] if "const" in schema else None)
        if values is None:
            return None
        return {_json_type(v) for v in values}

    # -- comparison ------------------------------------------------------------------------------------------
    def compare(self, old: Any, new: Any, path: str) -> list[Incompatibility]:
        key = (_ref(old), _ref(new))
        if key != (None, None) and key in self.in_progress:  # a recursive model: already being compared above
            return []
        old = self._resolve(old, self.old_root)
        new = self._resolve(new, self.new_root)
        if new is True or new == {} or old is False:
            return []
        if old is True or old == {}:
            return [Incompatibility(path, "now constrained where anything was accepted")]
        self.in_progress.add(key)
        try:
            return self._compare(old, new, path)
        finally:
            self.in_progress.discard(key)

    def _compare(self, old: dict[str, Any], new: dict[str, Any], path: str) -> list[Incompatibility]:
        if "allOf" in old:  # an intersection: it is enough that one part fits the new schema
            rest = {k: v for k, v in old.items() if k != "allOf"}
            attempts = [self.compare({**self._resolve(part, self.old_root), **rest}, new, path)
                        for part in old["allOf"]]
            return [] if any(not a for a in attempts) else min(attempts, key=len)
        if "allOf" in new:  # every part must accept the old documents
            rest = {k: v for k, v in new.items() if k != "allOf"}
            problems = [p for part in new["allOf"] for p in self.compare(old, part, path)]
            return problems + (self.compare(old, rest, path) if set(rest) - _ANNOTATIONS else [])
        old_branches = self._branches(old)
        if old_branches is not None:
            return [p for b in old_branches for p in self.compare(b, new, path)]
        new_branches = self._branches(new)
        if new_branches is not None:
            attempts = [self.compare(old, b, path) for b in new_branches]
            return [] if any(not a for a in attempts) else min(attempts, key=len)
        return self._compare_single(old, new, path)

    def _compare_single(self, old: dict[str, Any], new: dict[str, Any], path: str) -> list[Incompatibility]:
        problems: list[Incompatibility] = []
        old_types, new_types = self._types(old), self._types(new)
        if new_types is not None:
            if old_types is None:
                problems.append(Incompatibility(path, f"now restricted to type {sorted(new_types)}"))
            else:
                lost = {t for t in old_types if not (t in new_types or (t == "integer" and "number" in new_types))}
                if lost:
                    problems.append(Incompatibility(
                        path, f"type changed from {sorted(old_types)} to {sorted(new_types)}"))
        problems.extend(self._compare_values(old, new, path))
        problems.extend(self._compare_bounds(old, new, path))
        for keyword in ("pattern", "format", "multipleOf"):
            if keyword in new and new.get(keyword) != old.get(keyword):
                problems.append(Incompatibility(
                    path, f"{keyword} changed from {old.get(keyword)!r} to {new[keyword]!r}"))
        if new.get("uniqueItems") and not old.get("uniqueItems"):
            problems.append(Incompatibility(path, "items must now be unique"))
        problems.extend(self._compare_object(old, new, path))
        problems.extend(self._compare_array(old, new, path))
        for keyword in sorted(set(new) - _ANNOTATIONS - _HANDLED):
            if keyword.startswith("x-"):
                continue
            if new[keyword] != old.get(keyword):
                problems.append(Incompatibility(path, f"keyword {keyword!r} added or changed (cannot prove it safe)"))
        return problems

    @staticmethod
    def _compare_values(old: dict[str, Any], new: dict[str, Any], path: str) -> list[Incompatibility]:
        new_values = new.get("enum", [new["const"]] if "const" in new else None)
        if new_values is None:
            return []
        old_values = old.get("enum", [old["const"]] if "const" in old else None)
        if old_values is None:
            return [Incompatibility(path, f"now restricted to the values {new_values!r}")]
        removed = [v for v in old_values if v not in new_values]
        return [Incompatibility(path, f"values removed: {removed!r}")] if removed else []

    @staticmethod
    def _compare_bounds(old: dict[str, Any], new: dict[str, Any], path: str) -> list[Incompatibility]:
        problems = []
        for keyword in _LOWER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] > old[keyword]):
                problems.append(Incompatibility(path, f"{keyword} tightened from {old.get(keyword)} to {new[keyword]}"))
        for keyword in _UPPER_BOUNDS:
            if keyword in new and (keyword not in old or new[keyword] < old[keyword]):
                problems.append(Incompatibility(path, f"{keyword} tightened from {old.get(keyword)} to {new[keyword]}"))
        return problems

    def _compare_object(self, old: dict[str, Any], new: dict[str, Any], path: str) -> list[Incompatibility]:
        if "properties" not in old and "properties" not in new and "required" not in new \
                and "additionalProperties" not in new:
            return []
        problems = []
        old_props: dict[str, Any] = old.get("properties", {})
        new_props: dict[str, Any] = new.get("properties", {})
        old_extra = old.get("additionalProperties", True)
        new_extra = new.get("additionalProperties", True)
        for name, old_sub in old_props.items():
            sub_path = f"{path}.{name}"
            if name in new_props:
                problems.extend(self.compare(old_sub, new_props[name], sub_path))
            elif new_extra is False:
                problems.append(Incompatibility(sub_path, "field removed"))
            elif isinstance(new_extra, dict):
                problems.extend(self.compare(old_sub, new_extra, sub_path))
        for name in sorted(set(new.get("required", [])) - set(old.get("required", []))):
            problems.append(Incompatibility(f"{path}.{name}", "field newly required"))
        if old_extra is not False:
            for name in sorted(set(new_props) - set(old_props)):
                problems.extend(self.compare(old_extra, new_props[name], f"{path}.{name}"))
            if new_extra is False:
                problems.append(Incompatibility(path, "additional properties now forbidden"))
            elif isinstance(new_extra, dict):
                problems.extend(self.compare(old_extra, new_extra, f"{path}.*"))
        return problems

    def _compare_array(self, old: dict[str, Any], new: dict[str, Any], path: str) -> list[Incompatibility]:
        problems = []
        if "items" in new:
            problems.extend(self.compare(old.get("items", True), new["items"], f"{path}[]"))
        if "prefixItems" in new:
            old_prefix = old.get("prefixItems", [])
            for index, new_item in enumerate(new["prefixItems"]):
                old_item = old_prefix[index] if index < len(old_prefix) else old.get("items", True)
                problems.extend(self.compare(old_item, new_item, f"{path}[{index}]"))
        return problems


def _ref(schema: Any) -> str | None:
    return schema.get("$ref") if isinstance(schema, dict) else None


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"
