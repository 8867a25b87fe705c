"""Merging the services' OpenAPI documents into one."""

from __future__ import annotations

from typing import Any

from careflow.gateway.domain.api_document import merge

PROBLEM = {"type": "object", "title": "ProblemDetails"}
BEARER = {"type": "http", "scheme": "bearer"}


def own() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "CareFlow API", "version": "0.1.0"},
        "paths": {"/audit-records": {"get": {"operationId": "audit", "responses": {}}}},
        "components": {
            "schemas": {"ProblemDetails": PROBLEM},
            "securitySchemes": {"HTTPBearer": BEARER},
        },
    }


def service(schema: dict[str, Any], scheme: dict[str, Any] = BEARER) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "paths": {
            "/audit-records": {
                "get": {
                    "operationId": "audit_records",
                    "tags": ["audit"],
                    "security": [{"HTTPBearer": []}],
                    "responses": {
                        "200": {
                            "content": {
                                "application/json": {
                                    "schema": {"$ref": "#/components/schemas/Page"}
                                }
                            }
                        },
                        "404": {
                            "content": {
                                "application/problem+json": {
                                    "schema": {"$ref": "#/components/schemas/ProblemDetails"}
                                }
                            }
                        },
                    },
                }
            }
        },
        "components": {
            "schemas": {"Page": schema, "ProblemDetails": PROBLEM},
            "securitySchemes": {"HTTPBearer": scheme},
        },
    }


def test_the_same_path_of_two_services_stays_apart_under_their_prefixes():
    merged = merge(
        own(),
        {
            "intake": ("/intake", service({"type": "object"})),
            "workqueue": ("/queue-service", service({"type": "array"})),
        },
    )
    assert set(merged["paths"]) == {
        "/audit-records",
        "/intake/audit-records",
        "/queue-service/audit-records",
    }
    intake = merged["paths"]["/intake/audit-records"]["get"]
    assert intake["operationId"] == "intake_audit_records"
    assert intake["tags"] == ["intake: audit"]
    assert intake["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/intake.Page"
    }
    schemas = merged["components"]["schemas"]
    assert schemas["intake.Page"] == {"type": "object"}
    assert schemas["workqueue.Page"] == {"type": "array"}


def test_platform_components_stay_one_and_problem_responses_are_kept():
    merged = merge(own(), {"intake": ("/intake", service({"type": "object"}))})
    schemas = merged["components"]["schemas"]
    assert "intake.ProblemDetails" not in schemas
    operation = merged["paths"]["/intake/audit-records"]["get"]
    assert operation["responses"]["404"]["content"]["application/problem+json"]["schema"] == {
        "$ref": "#/components/schemas/ProblemDetails"
    }
    assert operation["security"] == [{"HTTPBearer": []}]
    for status in ("429", "502", "503", "504"):
        problem = operation["responses"][status]["content"]["application/problem+json"]
        assert problem["schema"] == {"$ref": "#/components/schemas/ProblemDetails"}
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    # The gateway's own operations answer them too.
    assert "429" in merged["paths"]["/audit-records"]["get"]["responses"]


def test_a_differing_security_scheme_is_renamed_where_it_is_required():
    other = {"type": "http", "scheme": "basic"}
    merged = merge(own(), {"legacy": ("/legacy", service({"type": "object"}, other))})
    assert merged["components"]["securitySchemes"]["legacy.HTTPBearer"] == other
    operation = merged["paths"]["/legacy/audit-records"]["get"]
    assert operation["security"] == [{"legacy.HTTPBearer": []}]
