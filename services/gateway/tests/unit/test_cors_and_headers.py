"""CORS preflights are answered at the edge, before tokens and limits, with the
security headers; an origin not configured gets no CORS answer."""

from __future__ import annotations

import httpx

from careflow.gateway.entrypoints.api.app import create_app
from careflow.gateway.settings import CorsSettings, Settings

ORIGIN = "https://desktop.careflow.local"


async def preflight(origin: str) -> httpx.Response:
    # Not started: a preflight needs no database, token or service.
    app = create_app(Settings(environment="test", cors=CorsSettings(allow_origins=[ORIGIN])))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as c:
        return await c.options(
            "/intake/me/cases",
            headers={
                "Origin": origin,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "authorization, content-type",
            },
        )


async def test_a_configured_origin_gets_its_preflight_answered_with_security_headers():
    response = await preflight(ORIGIN)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-request-id"]


async def test_another_origin_gets_no_cors_answer():
    response = await preflight("https://evil.example")
    assert response.status_code == 400
    assert "access-control-allow-origin" not in response.headers
