"""Every error an operation can answer, documented once for every service.

Routes document their successes; the errors come from the platform (the
token dependency, the request edges, validation, the domain-error table, the
unexpected-error handler), so the platform documents them, all as
`application/problem+json` with one `ProblemDetails` schema:

- every operation: 422 (the request edges refuse control characters in any
  query string), 500, and 503 with Retry-After (admission: the service is at
  capacity and did nothing);
- an operation that takes a token: 401 and 403;
- an operation with a path parameter: 404 (no such resource, or not yours);
- an operation with a body: 413;
- a POST, PUT, PATCH or DELETE: 409 (a domain rule refused it) and every
  status of the service's domain-error table.

It also states what the request edges refuse in text: every string without a
pattern or format gets one that leaves control characters out (tab, line feed
and carriage return stay allowed in bodies, not in paths and queries), and a
free-form JSON value (`dict[str, Any]`) becomes `JsonValue`, whose strings
and keys are held to the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from careflow.shared.http.problems import PROBLEM_MEDIA_TYPE

SCHEMA_NAME = "ProblemDetails"
JSON_VALUE = "JsonValue"
#: Text in a JSON body: no control character but tab, line feed, carriage return.
BODY_TEXT = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
#: Text in a path or query: no control character at all.
TARGET_TEXT = r"^[^\u0000-\u001F\u007F-\u009F]*$"
_JSON_VALUE_REF = {"$ref": f"#/components/schemas/{JSON_VALUE}"}
_CONSTRAINED = ("pattern", "format", "enum", "const", "$ref", "contentEncoding")
_REF = {"$ref": f"#/components/schemas/{SCHEMA_NAME}"}
_UNSAFE = frozenset({"post", "put", "patch", "delete"})
_METHODS = frozenset({"get", "head", "options", "trace", *_UNSAFE})
# FastAPI's own 422 body, replaced by the problem everywhere.
_FASTAPI_VALIDATION = ("HTTPValidationError", "ValidationError")

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": SCHEMA_NAME,
    "description": "RFC 9457 problem details. Never quotes the request's input.",
    "type": "object",
    "properties": {
        "type": {"type": "string", "description": "A URI naming the problem type."},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "description": "For 422: where the request is invalid and why.",
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "loc": {
                        "type": "array",
                        "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]},
                    },
                    "msg": {"type": "string"},
                    "type": {"type": "string"},
                },
                "required": ["loc", "msg", "type"],
            },
        },
    },
    "required": ["type", "title", "status"],
}

_DESCRIPTIONS = {
    401: "No valid bearer access token.",
    403: "The token's holder may not do this.",
    404: "No such resource, or not one the caller may see.",
    409: "A rule of the domain refuses this in the resource's current state.",
    413: "The request body is larger than the API accepts.",
    422: "The request is not valid (parameters, body, control characters, nesting).",
    500: "An unexpected error; the body says nothing more.",
    503: "The service is at capacity and did nothing; try again after Retry-After seconds.",
}
_RETRY_AFTER = {
    "Retry-After": {
        "description": "Seconds to wait before trying again.",
        "schema": {"type": "integer", "minimum": 1},
    }
}
_WWW_AUTHENTICATE = {
    "WWW-Authenticate": {
        "description": "The Bearer challenge (RFC 6750).",
        "schema": {"type": "string"},
    }
}


def _json_value_schema() -> dict[str, Any]:
    return {
        "title": JSON_VALUE,
        "description": "Any JSON value whose strings and keys hold no control characters.",
        "anyOf": [
            {"type": "string", "pattern": BODY_TEXT},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
            {"type": "array", "items": _JSON_VALUE_REF},
            {
                "type": "object",
                "propertyNames": {"pattern": BODY_TEXT},
                "additionalProperties": _JSON_VALUE_REF,
            },
        ],
    }


def _is_free(schema: Any) -> bool:
    """An "any value" schema: nothing but annotations."""
    return isinstance(schema, dict) and not (
        schema.keys() - {"title", "description", "default", "examples"}
    )


def constrain_text(schema: Any, pattern: str) -> None:
    """Give every unconstrained string in `schema` the pattern, in place."""
    if isinstance(schema, list):
        for item in schema:
            constrain_text(item, pattern)
        return
    if not isinstance(schema, dict):
        return
    types = schema.get("type")
    is_string = types == "string" or (isinstance(types, list) and "string" in types)
    if is_string and not any(key in schema for key in _CONSTRAINED):
        schema["pattern"] = pattern
    if schema.get("type") == "object" and (
        schema.get("additionalProperties") is True or _is_free(schema.get("additionalProperties"))
    ):
        schema["additionalProperties"] = _JSON_VALUE_REF
        schema.setdefault("propertyNames", {"pattern": pattern})
    for name, sub in list(schema.get("properties", {}).items()):
        if _is_free(sub):
            schema["properties"][name] = {**sub, **_JSON_VALUE_REF}
    if _is_free(schema.get("items")):
        schema["items"] = {**schema["items"], **_JSON_VALUE_REF}
    for key, value in schema.items():
        if key not in ("enum", "const", "default", "examples", "example"):
            constrain_text(value, pattern)


def _without_null(schema: Any) -> None:
    """`X | None = None` in a parameter: a query string has no null, only absence
    (`required: false`), so the schema is X. Fuzzers otherwise take "null" or
    "false" for values the type refuses, when they are strings it accepts."""
    if not isinstance(schema, dict) or "anyOf" not in schema:
        return
    branches = [b for b in schema["anyOf"] if b != {"type": "null"}]
    if len(branches) == 1:
        del schema["anyOf"]
        schema.update({k: v for k, v in branches[0].items() if k not in schema})
    else:
        schema["anyOf"] = branches


def _problem_response(status: int) -> dict[str, Any]:
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    response: dict[str, Any] = {
        "description": _DESCRIPTIONS.get(status, phrase),
        "content": {PROBLEM_MEDIA_TYPE: {"schema": _REF}},
    }
    if status == 401:
        response["headers"] = _WWW_AUTHENTICATE
    if status == 503:
        response["headers"] = _RETRY_AFTER
    return response


def _statuses(method: str, operation: dict[str, Any], domain: Collection[int]) -> set[int]:
    statuses = {422, 500, 503}
    if operation.get("security"):
        statuses |= {401, 403}
    if any(p.get("in") == "path" for p in operation.get("parameters", ())):
        statuses.add(404)
    if "requestBody" in operation:
        statuses.add(413)
    if method in _UNSAFE:
        statuses |= {409, *domain}
    return statuses


def document_problems(schema: dict[str, Any], domain_statuses: Collection[int] = ()) -> None:
    """Add the platform's error responses and text rules to an OpenAPI document."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    constrain_text(components, BODY_TEXT)
    for path_item in schema.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            for parameter in operation.get("parameters", ()):
                _without_null(parameter.get("schema"))
                constrain_text(parameter.get("schema"), TARGET_TEXT)
            for media in operation.get("requestBody", {}).get("content", {}).values():
                constrain_text(media.get("schema"), BODY_TEXT)
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(method, operation, domain_statuses)):
                responses[str(status)] = _problem_response(status)
            # Errors a route documented itself are problems too.
            for code, response in responses.items():
                if code[:1] in ("4", "5"):
                    response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": _REF}}
    for name in _FASTAPI_VALIDATION:
        components.pop(name, None)
    components[SCHEMA_NAME] = PROBLEM_SCHEMA
    components[JSON_VALUE] = _json_value_schema()


def install_problem_openapi(app: FastAPI, domain_statuses: Collection[int] = ()) -> None:
    """Make `app.openapi()` document the platform's error responses."""
    build: Callable[[], dict[str, Any]] = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document_problems(build(), domain_statuses)
        return app.openapi_schema  # type: ignore[return-value]

    app.openapi = openapi  # type: ignore[method-assign]
