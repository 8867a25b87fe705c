"""The OpenAPI document names every error an operation can answer, as problem details."""

from __future__ import annotations

import re
from typing import Any
from uuid import UUID

import httpx
from fastapi import FastAPI
from pydantic import BaseModel, Field

from careflow.shared.auth.dependencies import Professional
from careflow.shared.http.openapi import BODY_TEXT, TARGET_TEXT, install_problem_openapi
from careflow.shared.http.problems import install_problem_handlers


class NoteIn(BaseModel):
    text: str = Field(max_length=100)
    code: str = Field(pattern=r"^[a-z]+$")
    answers: dict[str, Any] = {}


class GoneError(Exception):
    pass


def build() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app, domain_errors=(GoneError, {GoneError: 410}))
    install_problem_openapi(app, {410})

    @app.get("/notes/{note_id}")
    async def read_note(note_id: UUID, user: Professional, q: str | None = None) -> NoteIn:
        """Reads a note."""
        raise NotImplementedError

    @app.put("/notes/{note_id}", status_code=204)
    async def put_note(note_id: UUID, note: NoteIn, user: Professional) -> None:
        """Replaces a note."""

    @app.get("/public")
    async def public() -> dict[str, str]:
        """Open to anyone."""
        return {}

    return app


def responses(app: FastAPI, path: str, method: str) -> dict[str, Any]:
    return app.openapi()["paths"][path][method]["responses"]  # type: ignore[no-any-return]


def test_each_operation_documents_the_errors_the_platform_can_answer() -> None:
    app = build()
    assert set(responses(app, "/public", "get")) == {"200", "422", "500", "503"}
    assert set(responses(app, "/notes/{note_id}", "get")) == {
        "200",
        "401",
        "403",
        "404",
        "422",
        "500",
        "503",
    }
    assert set(responses(app, "/notes/{note_id}", "put")) == {
        "204",
        "401",
        "403",
        "404",
        "409",
        "410",
        "413",
        "422",
        "500",
        "503",
    }


def test_every_error_is_a_problem_with_its_schema() -> None:
    app = build()
    document = app.openapi()
    for path_item in document["paths"].values():
        for operation in path_item.values():
            for code, response in operation["responses"].items():
                if code[0] in "45":
                    assert response["content"] == {
                        "application/problem+json": {
                            "schema": {"$ref": "#/components/schemas/ProblemDetails"}
                        }
                    }
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas
    assert schemas["ProblemDetails"]["required"] == ["type", "title", "status"]
    unauthorised = responses(app, "/notes/{note_id}", "get")["401"]
    assert "WWW-Authenticate" in unauthorised["headers"]
    overloaded = responses(app, "/public", "get")["503"]
    assert "Retry-After" in overloaded["headers"]


def test_free_text_is_documented_without_control_characters() -> None:
    document = build().openapi()
    note = document["components"]["schemas"]["NoteIn"]["properties"]
    assert note["text"]["pattern"] == BODY_TEXT
    assert note["code"]["pattern"] == r"^[a-z]+$"
    assert note["answers"]["additionalProperties"] == {"$ref": "#/components/schemas/JsonValue"}
    assert note["answers"]["propertyNames"] == {"pattern": BODY_TEXT}
    query = document["paths"]["/notes/{note_id}"]["get"]["parameters"]
    q = next(p for p in query if p["name"] == "q")
    # A query string has no null: an optional parameter is one that may be absent.
    assert q["required"] is False
    assert q["schema"]["type"] == "string"
    assert "anyOf" not in q["schema"]
    assert q["schema"]["pattern"] == TARGET_TEXT
    note_id = next(p for p in query if p["name"] == "note_id")
    assert "pattern" not in note_id["schema"]


def test_the_documented_patterns_are_what_the_edges_refuse() -> None:
    body, target = re.compile(BODY_TEXT), re.compile(TARGET_TEXT)
    for allowed in ("line\none\ttab\r", "é😀 [x]"):
        assert body.match(allowed)
    for refused in ("\x00", "\x08", "\x0b", "\x1b", "\x7f", "\x85", "\x9f"):
        assert not body.match(f"a{refused}b")
        assert not target.match(f"a{refused}b")
    assert not target.match("a\nb")


async def test_a_method_not_allowed_names_every_method_of_the_path() -> None:
    transport = httpx.ASGITransport(build())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        response = await client.delete(f"/notes/{UUID(int=1)}")
    assert response.status_code == 405
    assert response.headers["content-type"] == "application/problem+json"
    assert set(response.headers["allow"].split(", ")) == {"GET", "PUT"}
