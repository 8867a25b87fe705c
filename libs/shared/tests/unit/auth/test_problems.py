"""Problem details for every error path; request input never comes back out."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Annotated, Literal

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from careflow.shared.http.problems import Problem, install_problem_handlers, problem_response

PROBLEM = "application/problem+json"
SECRET = "suspected-hiv-positive"


class Fever(BaseModel):
    kind: Literal["fever"]
    celsius: float


class Rash(BaseModel):
    kind: Literal["rash"]
    area: str


class Note(BaseModel):
    severity: int
    text: str
    # pydantic's message for a bad tag in a tagged union quotes the tag.
    symptom: Annotated[Fever | Rash, Field(discriminator="kind")] | None = None


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.post("/notes")
    async def add_note(note: Note) -> dict[str, int]:
        return {"severity": note.severity}

    @app.get("/cases/{case_id}")
    async def get_case(case_id: str) -> None:
        raise Problem(
            409,
            "Case already closed",
            "The case was closed by the 72-hour rule.",
            type="https://careflow.example/problems/case-closed",
            extensions={"case_id": case_id},
            headers={"Retry-After": "60"},
        )

    @app.get("/legacy")
    async def legacy() -> None:
        raise HTTPException(status_code=418, detail="Brewing elsewhere.")

    @app.post("/crash")
    async def crash(note: Note) -> None:
        raise RuntimeError("database said no")

    return app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    # raise_app_exceptions=False: Starlette re-raises after the 500 handler runs.
    transport = httpx.ASGITransport(build_app(), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


def problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    return body


async def test_validation_error_lists_errors_without_echoing_input(
    http: httpx.AsyncClient,
) -> None:
    body = {"severity": f"{SECRET}-1", "text": SECRET, "symptom": {"kind": SECRET}}
    response = await http.post("/notes", json=body)
    problem_body = problem(response, 422)
    assert problem_body["type"] == "about:blank"
    errors = {tuple(error["loc"]): error for error in problem_body["errors"]}
    assert errors[("body", "severity")]["type"] == "int_parsing"
    assert errors[("body", "symptom")]["type"] == "union_tag_invalid"
    assert all(set(error) == {"loc", "msg", "type"} for error in problem_body["errors"])
    assert SECRET not in response.text


async def test_invalid_json_body_is_a_422_problem_without_the_body(
    http: httpx.AsyncClient,
) -> None:
    response = await http.post(
        "/notes", content=f'{{"text": "{SECRET}", ', headers={"content-type": "application/json"}
    )
    body = problem(response, 422)
    assert body["errors"][0]["type"] == "json_invalid"
    assert SECRET not in response.text


async def test_raised_problem_keeps_its_members_and_headers(http: httpx.AsyncClient) -> None:
    response = await http.get("/cases/c-42")
    assert problem(response, 409) == {
        "type": "https://careflow.example/problems/case-closed",
        "title": "Case already closed",
        "status": 409,
        "detail": "The case was closed by the 72-hour rule.",
        "case_id": "c-42",
    }
    assert response.headers["retry-after"] == "60"


async def test_unknown_route_is_a_404_problem(http: httpx.AsyncClient) -> None:
    body = problem(await http.get("/nowhere"), 404)
    assert body == {"type": "about:blank", "title": "Not Found", "status": 404}


async def test_wrong_method_is_a_405_problem_naming_the_allowed_ones(
    http: httpx.AsyncClient,
) -> None:
    response = await http.delete("/notes")
    assert problem(response, 405)["title"] == "Method Not Allowed"
    assert response.headers["allow"] == "POST"


async def test_http_exception_detail_is_kept(http: httpx.AsyncClient) -> None:
    body = problem(await http.get("/legacy"), 418)
    assert body["detail"] == "Brewing elsewhere."


async def test_unhandled_error_is_a_generic_500_logged_without_the_body(
    http: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="careflow.shared.http.problems"):
        response = await http.post("/crash", json={"severity": 1, "text": SECRET})
    body = problem(response, 500)
    assert body["detail"] == "An unexpected error occurred."
    assert "database said no" not in response.text
    (record,) = [r for r in caplog.records if r.name == "careflow.shared.http.problems"]
    assert record.getMessage() == "unhandled error on POST /crash"
    assert record.exc_info is not None
    assert SECRET not in caplog.text


def test_extension_members_may_not_replace_standard_ones() -> None:
    with pytest.raises(ValueError, match="clash"):
        problem_response(400, extensions={"status": 200})
