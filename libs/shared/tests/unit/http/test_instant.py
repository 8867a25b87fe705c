"""A point in time in a query string carries its offset, or the request is refused."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from careflow.shared.http import Instant
from careflow.shared.http.problems import install_problem_handlers

app = FastAPI()
install_problem_handlers(app)


@app.get("/records")
async def records(since: Instant | None = None) -> dict[str, str | None]:
    """Echoes the instant it read, in UTC."""
    return {"since": since.isoformat() if since else None, "zone": str(since and since.tzinfo)}


async def _get(query: str) -> httpx.Response:
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get("/records", params={"since": query})


@pytest.mark.parametrize(
    "naive", ["2025-03-04T08:30:00", "2025-03-04 08:30", "2025-03-04", "0.5", "1741077000"]
)
async def test_a_time_without_an_offset_or_not_in_rfc3339_is_refused(naive: str) -> None:
    response = await _get(naive)
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["loc"] == ["query", "since"]


@pytest.mark.parametrize("aware", ["2025-03-04T08:30:00Z", "2025-03-04T10:30:00+02:00"])
async def test_a_time_with_an_offset_is_read_as_that_instant_in_utc(aware: str) -> None:
    response = await _get(aware)
    assert response.status_code == 200
    expected = datetime(2025, 3, 4, 8, 30, tzinfo=UTC)
    assert response.json() == {"since": expected.isoformat(), "zone": "UTC"}


def test_the_openapi_says_it_is_a_date_time() -> None:
    parameter = app.openapi()["paths"]["/records"]["get"]["parameters"][0]
    assert {"type": "string", "format": "date-time"}.items() <= parameter["schema"]["anyOf"][
        0
    ].items()
