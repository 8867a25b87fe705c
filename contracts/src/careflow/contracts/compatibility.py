"""Breaking changes between two JSON Schemas of the same event type.

Both directions matter on a topic: consumers on the old model read what new
producers write, and consumers on the new model read old messages still on the
topic. So removing a property, requiring one that old messages may lack,
changing a type (or format) and changing an enum's values all break; adding an
optional property does not (every model ignores unknown fields). Constraints
(minimum, maxLength, pattern) and required → optional are not compared.

Pure functions over JSON data: `$ref`s into `$defs`, `anyOf`/`oneOf` unions
(including nullable ones), type lists, nested objects, arrays and dicts.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Schema = Mapping[str, Any]


class ChangeKind(StrEnum):
    REMOVED_PROPERTY = "removed-property"
    NEWLY_REQUIRED = "newly-required"
    TYPE_CHANGED = "type-changed"
    ENUM_VALUE_REMOVED = "enum-value-removed"
    ENUM_VALUE_ADDED = "enum-value-added"
    ROUTING_CHANGED = "routing-changed"


@dataclass(frozen=True)
class BreakingChange:
    kind: ChangeKind
    path: str  # dotted property path; `[]` = array items, `.*` = dict values
    detail: str

    def __str__(self) -> str:
        return f"{self.path or '<event>'}: {self.detail} [{self.kind}]"


def breaking_changes(old: Schema, new: Schema) -> list[BreakingChange]:
    """Every change from `old` to `new` that breaks a producer or a consumer."""
    comparer = _Comparer(old, new)
    for keyword in ("x-careflow-topic", "x-careflow-key"):
        if keyword in old and old.get(keyword) != new.get(keyword):
            comparer.add(
                ChangeKind.ROUTING_CHANGED,
                "",
                f"{keyword} changed from {old[keyword]!r} to {new.get(keyword)!r}",
            )
    comparer.compare(old, new, "")
    return comparer.changes


def is_compatible(old: Schema, new: Schema) -> bool:
    return not breaking_changes(old, new)


def _resolve(node: Schema, root: Schema) -> Schema:
    """Follow local `$ref`s (and single-member `allOf` wrappers) to the schema they name."""
    hops = 0
    while hops < 64:
        hops += 1
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/"):
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        elif isinstance(node.get("allOf"), list) and len(node["allOf"]) == 1:
            node = node["allOf"][0]
        else:
            return node
    raise ValueError("$ref cycle without a schema")


def _alternatives(node: Schema, root: Schema) -> list[Schema]:
    """The union members of a schema, flattened: anyOf/oneOf and type lists."""
    node = _resolve(node, root)
    for keyword in ("anyOf", "oneOf"):
        if isinstance(node.get(keyword), list):
            return [alt for member in node[keyword] for alt in _alternatives(member, root)]
    types = node.get("type")
    if isinstance(types, list):
        return [{**node, "type": t} for t in types]
    return [node]


def _kind(node: Schema) -> str:
    """What a value must look like: `integer`, `string(uuid)`, `enum<string>`, `object`…"""
    if "const" in node or "enum" in node:
        return f"enum<{node.get('type', 'any')}>"
    kind = node.get("type") or ("object" if "properties" in node else "any")
    return f"{kind}({node['format']})" if "format" in node else str(kind)


def _enum_values(node: Schema) -> dict[str, Any]:
    values = node["enum"] if "enum" in node else [node["const"]]
    return {json.dumps(v, sort_keys=True): v for v in values}


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


class _Comparer:
    def __init__(self, old_root: Schema, new_root: Schema) -> None:
        self.old_root = old_root
        self.new_root = new_root
        self.changes: list[BreakingChange] = []
        self._seen: set[tuple[int, int]] = set()  # recursive models

    def add(self, kind: ChangeKind, path: str, detail: str) -> None:
        self.changes.append(BreakingChange(kind, path, detail))

    def compare(self, old: Schema, new: Schema, path: str) -> None:
        olds = _alternatives(old, self.old_root)
        news = _alternatives(new, self.new_root)
        old_kinds = sorted({_kind(n) for n in olds})
        new_kinds = sorted({_kind(n) for n in news})
        if old_kinds != new_kinds:
            self.add(
                ChangeKind.TYPE_CHANGED,
                path,
                f"type changed from {' | '.join(old_kinds)} to {' | '.join(new_kinds)}",
            )
        for kind in set(old_kinds) & set(new_kinds):
            same_old = [n for n in olds if _kind(n) == kind]
            same_new = [n for n in news if _kind(n) == kind]
            for o, n in _pair(same_old, same_new):
                self._compare_same_kind(o, n, kind, path)

    def _compare_same_kind(self, old: Schema, new: Schema, kind: str, path: str) -> None:
        if kind.startswith("enum<"):
            before, after = _enum_values(old), _enum_values(new)
            for value in sorted(before.keys() - after.keys()):
                self.add(ChangeKind.ENUM_VALUE_REMOVED, path, f"enum value {value} removed")
            for value in sorted(after.keys() - before.keys()):
                self.add(ChangeKind.ENUM_VALUE_ADDED, path, f"enum value {value} added")
        elif kind == "object":
            if (id(old), id(new)) in self._seen:
                return
            self._seen.add((id(old), id(new)))
            self._compare_objects(old, new, path)
        elif kind == "array":
            self._compare_arrays(old, new, path)

    def _compare_objects(self, old: Schema, new: Schema, path: str) -> None:
        old_props: Mapping[str, Schema] = old.get("properties", {})
        new_props: Mapping[str, Schema] = new.get("properties", {})
        old_required, new_required = set(old.get("required", ())), set(new.get("required", ()))
        for name, schema in old_props.items():
            if name not in new_props:
                self.add(ChangeKind.REMOVED_PROPERTY, _join(path, name), "property removed")
            else:
                self.compare(schema, new_props[name], _join(path, name))
        for name in sorted(new_required - old_required):
            was = "optional property made required" if name in old_props else None
            detail = was or "new required property"
            self.add(ChangeKind.NEWLY_REQUIRED, _join(path, name), detail)
        old_extra, new_extra = old.get("additionalProperties"), new.get("additionalProperties")
        if isinstance(old_extra, Mapping) and isinstance(new_extra, Mapping):
            self.compare(old_extra, new_extra, _join(path, "*"))
        elif new_extra is False and old_extra is not False:
            self.add(ChangeKind.TYPE_CHANGED, path, "no longer accepts additional properties")

    def _compare_arrays(self, old: Schema, new: Schema, path: str) -> None:
        old_prefix, new_prefix = old.get("prefixItems"), new.get("prefixItems")
        if old_prefix is not None or new_prefix is not None:
            if len(old_prefix or ()) != len(new_prefix or ()):
                self.add(ChangeKind.TYPE_CHANGED, path, "tuple length changed")
            for i, (o, n) in enumerate(zip(old_prefix or (), new_prefix or (), strict=False)):
                self.compare(o, n, f"{path}[{i}]")
        old_items, new_items = old.get("items", {}), new.get("items", {})
        if isinstance(old_items, Mapping) and isinstance(new_items, Mapping):
            self.compare(old_items, new_items, f"{path}[]")


def _pair(olds: list[Schema], news: list[Schema]) -> list[tuple[Schema, Schema]]:
    """Match union members of one kind: by title (named models) first, then in order."""
    pairs: list[tuple[Schema, Schema]] = []
    rest_old, rest_new = list(olds), list(news)
    for o in olds:
        match = next((n for n in rest_new if o.get("title") and n.get("title") == o["title"]), None)
        if match is not None:
            pairs.append((o, match))
            rest_old.remove(o)
            rest_new.remove(match)
    pairs.extend(zip(rest_old, rest_new, strict=False))
    return pairs
