"""The audit query over HTTP: the shared dependency answers bad queries with 422 problems."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from careflow.shared.audit import AuditCursor
from careflow.shared.audit.dependencies import AuditQueryParams
from careflow.shared.http.problems import install_problem_handlers


def _app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)

    @app.get("/audit-records")
    async def echo(query: AuditQueryParams) -> dict[str, object]:
        cursor = query.cursor
        return {
            "from": query.from_.isoformat() if query.from_ else None,
            "limit": query.limit,
            "cursor_id": cursor.id if cursor else None,
        }

    return app


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        yield client


async def test_an_aware_range_a_limit_and_a_cursor_reach_the_route(
    http: httpx.AsyncClient,
) -> None:
    cursor = AuditCursor(datetime(2026, 1, 1, 12, tzinfo=UTC), 9)
    response = await http.get(
        "/audit-records",
        params={
            "from": "2026-01-01T00:00:00+02:00",
            "to": "2026-01-02T00:00:00Z",
            "limit": 3,
            "cursor": cursor.encode(),
        },
    )
    assert response.status_code == 200, response.text
    assert response.json() == {
        "from": "2025-12-31T22:00:00+00:00",  # the same instant, read as UTC
        "limit": 3,
        "cursor_id": 9,
    }


@pytest.mark.parametrize(
    ("params", "loc"),
    [
        ({"from": "2026-01-01T00:00:00"}, ["query", "from"]),
        ({"to": "2026-01-01T00:00:00"}, ["query", "to"]),
        ({"cursor": "bm90LWEtY3Vyc29y"}, ["query", "cursor"]),
        ({"limit": "501"}, ["query", "limit"]),
    ],
)
async def test_naive_times_foreign_cursors_and_big_pages_are_422_problems(
    http: httpx.AsyncClient, params: dict[str, str], loc: list[str]
) -> None:
    response = await http.get("/audit-records", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["loc"] == loc
    for value in params.values():
        assert value not in response.text


async def test_a_range_ending_before_it_starts_is_an_empty_page_not_an_error(
    http: httpx.AsyncClient,
) -> None:
    # The OpenAPI cannot state a rule between two parameters, so a schema-valid
    # request must not be refused for it: no record lies in such a range.
    params = {"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}
    response = await http.get("/audit-records", params=params)
    assert response.status_code == 200, response.text
