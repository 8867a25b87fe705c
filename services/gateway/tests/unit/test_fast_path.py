"""Which requests take the lean proxied path (fast_path.py) and which FastAPI's stack,
and that an unexpected failure on the lean path is still a problem with the edge's
headers."""

from __future__ import annotations

import httpx

from careflow.gateway.entrypoints.api.app import create_app
from careflow.gateway.entrypoints.api.fast_path import GatewayApp
from careflow.gateway.settings import CorsSettings, Settings


def scope(path: str, *headers: tuple[bytes, bytes]) -> dict[str, object]:
    return {"type": "http", "path": path, "headers": list(headers)}


def test_paths_under_a_service_prefix_take_the_lean_path_and_nothing_else_does():
    app = create_app(Settings(environment="test"))
    assert isinstance(app, GatewayApp)
    assert app.proxied is not None
    proxy = app.proxied.match(scope("/intake/me/cases"))
    assert proxy is not None
    assert proxy.upstream.name == "intake"
    assert app.proxied.match(scope("/intake/")) is proxy
    for own in ("/intake", "/audit-records", "/healthz", "/metrics", "/openapi.json", "/x/y"):
        assert app.proxied.match(scope(own)) is None, own


def test_with_cors_on_a_request_with_an_origin_takes_the_fastapi_stack():
    app = create_app(
        Settings(environment="test", cors=CorsSettings(allow_origins=["https://a.example"]))
    )
    assert app.proxied is not None  # type: ignore[attr-defined]
    assert app.proxied.match(scope("/intake/x", (b"origin", b"https://a.example"))) is None  # type: ignore[attr-defined]
    assert app.proxied.match(scope("/intake/x")) is not None  # type: ignore[attr-defined]


async def test_an_unexpected_failure_on_the_lean_path_is_a_500_problem_with_edge_headers():
    # Not started: the token verifier the proxy asks for does not exist yet.
    app = create_app(Settings(environment="test"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://gw") as c:
        response = await c.get("/intake/me/cases", headers={"X-Request-Id": "r-1"})
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["x-request-id"] == "r-1"
    assert response.headers["x-content-type-options"] == "nosniff"
