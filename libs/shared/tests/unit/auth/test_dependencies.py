"""Auth dependencies over HTTP: 401 and 403 as problem details, principals on success."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from fastapi import FastAPI

from careflow.shared.auth.claims import (
    AuthLevel,
    ProfessionalPrincipal,
    ResidentPrincipal,
    ServicePrincipal,
)
from careflow.shared.auth.verify import TokenVerifier

PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def assert_problem(response: httpx.Response, status: int) -> dict:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM
    body = response.json()
    assert body["status"] == status
    assert body["type"] == "about:blank"
    return body


@pytest.mark.parametrize(
    "name",
    [
        "expired",
        "wrong_issuer",
        "wrong_audience",
        "alg_none",
        "hs256_with_public_key",
        "unknown_kid",
        "garbage",
    ],
)
async def test_bad_token_gets_401_problem(
    client: httpx.AsyncClient, bad_tokens: dict[str, str], name: str
) -> None:
    response = await client.get("/me/professional", headers=bearer(bad_tokens[name]))
    body = assert_problem(response, 401)
    assert body["title"] == "Unauthorized"
    assert response.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert bad_tokens[name] not in response.text


async def test_request_without_token_gets_401_problem_with_bare_challenge(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/me/professional")
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


async def test_non_bearer_authorization_gets_401_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/me/professional", headers={"Authorization": "Basic dTpw"})
    assert_problem(response, 401)


async def test_valid_professional_token_reaches_the_route(
    client: httpx.AsyncClient, token_for: Callable[..., str], nurse: ProfessionalPrincipal
) -> None:
    response = await client.get("/me/professional", headers=bearer(token_for(nurse)))
    assert response.status_code == 200
    assert response.json() == {
        "actor": "professional",
        "sub": "prof-1",
        "org": "org-1",
        "unit": "unit-a",
        "groups": ["ward-3"],
        "roles": ["nurse"],
    }


async def test_professional_with_the_role_passes_the_role_check(
    client: httpx.AsyncClient, token_for: Callable[..., str], nurse: ProfessionalPrincipal
) -> None:
    response = await client.get("/triage", headers=bearer(token_for(nurse)))
    assert response.status_code == 200
    assert response.json() == {"sub": "prof-1"}


async def test_professional_without_the_role_gets_403_problem(
    client: httpx.AsyncClient, token_for: Callable[..., str], nurse: ProfessionalPrincipal
) -> None:
    response = await client.get("/prescriptions", headers=bearer(token_for(nurse)))
    body = assert_problem(response, 403)
    assert body["title"] == "Forbidden"
    assert "www-authenticate" not in response.headers


async def test_resident_on_a_professional_route_gets_403_problem(
    client: httpx.AsyncClient, token_for: Callable[..., str], resident: ResidentPrincipal
) -> None:
    response = await client.get("/me/professional", headers=bearer(token_for(resident)))
    assert_problem(response, 403)


async def test_service_on_a_resident_route_gets_403_problem(
    client: httpx.AsyncClient, token_for: Callable[..., str]
) -> None:
    token = token_for(ServicePrincipal(subject="system-x"))
    response = await client.get("/me/resident", headers=bearer(token))
    assert_problem(response, 403)


async def test_anonymous_resident_reaches_a_resident_route(
    client: httpx.AsyncClient, token_for: Callable[..., str]
) -> None:
    anonymous = ResidentPrincipal(subject="anon-7", auth_level=AuthLevel.ANONYMOUS)
    response = await client.get("/me/resident", headers=bearer(token_for(anonymous)))
    assert response.status_code == 200
    assert response.json()["auth_level"] == "anonymous"
    assert response.json()["guardian_of"] == []


async def test_app_without_a_verifier_fails_as_a_server_error_not_a_401(
    make_app: Callable[[TokenVerifier | None], FastAPI],
    token_for: Callable[..., str],
    nurse: ProfessionalPrincipal,
) -> None:
    transport = httpx.ASGITransport(make_app(None), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        response = await http.get("/me/professional", headers=bearer(token_for(nurse)))
    assert_problem(response, 500)
