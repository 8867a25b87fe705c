"""A service's domain errors become problem details by one table, most specific class first."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.http.problems import install_problem_handlers


class Refused(Exception):
    pass


class Missing(Refused):
    pass


class MissingGoal(Missing):
    pass


class StaleState(Refused):
    pass


def build_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app, domain_errors=(Refused, {Missing: 404}))

    @app.get("/goal")
    async def goal() -> None:
        raise MissingGoal("No such goal.")

    @app.get("/stale")
    async def stale() -> None:
        raise StaleState("The case is closed.")

    return app


async def _get(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=build_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path)


async def test_a_subclass_takes_its_nearest_mapped_status() -> None:
    response = await _get("/goal")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "No such goal."


async def test_an_unmapped_domain_error_is_a_conflict() -> None:
    response = await _get("/stale")
    assert response.status_code == 409
    assert response.json() == {
        "type": "about:blank",
        "title": "Conflict",
        "status": 409,
        "detail": "The case is closed.",
    }


def test_the_pseudonym_is_stable_per_key_and_differs_across_keys() -> None:
    a, b = ResidentIds(b"k1"), ResidentIds(b"k2")
    assert a.of("010101-123A") == a.of("010101-123A")
    assert a.of("010101-123A") != a.of("010101-123B")
    assert a.of("010101-123A") != b.of("010101-123A")
