"""One OpenAPI 3.1 document for the whole API, merged from the services' documents.

- Paths get the service's public prefix (`/forms` of intake -> `/intake/forms`).
- operationIds become `<service>_<operationId>`, tags `<service>: <tag>`.
- Components (schemas, responses, parameters, ...) become `<service>.<Name>`, with
  every `$ref` rewritten, unless the gateway's own document has the same name with
  the same content (the platform's `ProblemDetails`, `JsonValue`, `HTTPBearer`):
  those stay one.
- Every proxied operation also documents what the edge itself answers: 429 with
  `Retry-After`, 502, 503 and 504, as problem details like the rest.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

PROBLEM_MEDIA_TYPE = "application/problem+json"
_METHODS = frozenset({"get", "put", "post", "delete", "options", "head", "patch", "trace"})
_EDGE_ANSWERS = {
    "429": "Too many requests from this caller or address; retry after `Retry-After` seconds.",
    "502": "The service answered something the gateway cannot pass on.",
    "503": "The service is not reachable now.",
    "504": "The service did not answer in time.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds until a request would be admitted again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}


def _rewrite_refs(node: Any, renamed: Mapping[str, str]) -> Any:
    if isinstance(node, dict):
        out = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value in renamed:
                out[key] = renamed[value]
            else:
                out[key] = _rewrite_refs(value, renamed)
        return out
    if isinstance(node, list):
        return [_rewrite_refs(item, renamed) for item in node]
    return node


def _rename_security(operation: dict[str, Any], renamed: Mapping[str, str]) -> None:
    requirements = operation.get("security")
    if not requirements:
        return
    operation["security"] = [
        {renamed.get(name, name): scopes for name, scopes in requirement.items()}
        for requirement in requirements
    ]


def edge_responses(operation: dict[str, Any], problem_ref: str) -> None:
    """Add the edge's own answers to an operation (in place)."""
    responses = operation.setdefault("responses", {})
    for status, description in _EDGE_ANSWERS.items():
        response: dict[str, Any] = {
            "description": description,
            "content": {PROBLEM_MEDIA_TYPE: {"schema": {"$ref": problem_ref}}},
        }
        if status == "429":
            response["headers"] = copy.deepcopy(_RETRY_AFTER)
        responses.setdefault(status, response)


def merge(
    own: Mapping[str, Any],
    services: Mapping[str, tuple[str, Mapping[str, Any]]],
    *,
    problem_schema: str = "ProblemDetails",
) -> dict[str, Any]:
    """The gateway's document `own` with every service's (name -> (prefix, document))."""
    merged = copy.deepcopy(dict(own))
    merged["openapi"] = "3.1.0"
    paths = merged.setdefault("paths", {})
    components = merged.setdefault("components", {})
    problem_ref = f"#/components/schemas/{problem_schema}"
    for item in paths.values():
        for method, operation in item.items():
            if method in _METHODS and isinstance(operation, dict):
                edge_responses(operation, problem_ref)
    for name in sorted(services):
        prefix, document = services[name]
        theirs: Mapping[str, Any] = document.get("components", {}) or {}
        renamed_refs: dict[str, str] = {}
        renamed_schemes: dict[str, str] = {}
        for section, entries in theirs.items():
            mine = components.setdefault(section, {})
            for key, value in (entries or {}).items():
                if mine.get(key) == value:
                    continue  # the same platform component: stays one
                new_key = f"{name}.{key}"
                renamed_refs[f"#/components/{section}/{key}"] = f"#/components/{section}/{new_key}"
                if section == "securitySchemes":
                    renamed_schemes[key] = new_key
        for section, entries in theirs.items():
            mine = components[section]
            for key, value in (entries or {}).items():
                ref = f"#/components/{section}/{key}"
                if ref in renamed_refs:
                    new_key = renamed_refs[ref].rsplit("/", 1)[1]
                    mine[new_key] = _rewrite_refs(copy.deepcopy(value), renamed_refs)
        for path, item in (document.get("paths", {}) or {}).items():
            public = prefix + path if path != "/" else prefix
            new_item = _rewrite_refs(copy.deepcopy(item), renamed_refs)
            for method, operation in new_item.items():
                if method not in _METHODS or not isinstance(operation, dict):
                    continue
                if "operationId" in operation:
                    operation["operationId"] = f"{name}_{operation['operationId']}"
                operation["tags"] = [f"{name}: {tag}" for tag in operation.get("tags", [])] or [
                    name
                ]
                _rename_security(operation, renamed_schemes)
                edge_responses(operation, problem_ref)
            paths[public] = new_item
    tags = [{"name": t} for t in sorted({t for i in paths.values() for t in _tags(i)})]
    if tags:
        merged["tags"] = tags
    return merged


def _tags(item: Mapping[str, Any]) -> list[str]:
    return [
        tag
        for method, operation in item.items()
        if method in _METHODS and isinstance(operation, dict)
        for tag in operation.get("tags", [])
    ]
