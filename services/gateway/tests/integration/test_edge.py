"""The gateway's edge, over real HTTP, in front of a real upstream: passing requests on,
413, 429 across replicas, 504, 503, route checks, WebSockets, the merged document."""

from __future__ import annotations

import asyncio
import hashlib
import os
import time
import uuid

import httpx
import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus

from .conftest import Edge

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


def subject() -> str:
    return f"s-{uuid.uuid4().hex[:12]}"


async def test_a_request_reaches_its_service_with_request_id_and_trace_and_comes_back(edge: Edge):
    async with httpx.AsyncClient(base_url=edge.urls[0]) as client:
        response = await client.get(
            "/echo/echo/a%20b/c?x=1&y=%2B",
            headers={
                **edge.resident(subject()),
                "X-Request-Id": "req-123",
                "traceparent": TRACEPARENT,
            },
        )
    assert response.status_code == 200, response.text
    seen = response.json()
    assert seen["path"] == "/echo/a b/c"
    assert seen["query"] == "x=1&y=%2B"
    assert seen["headers"]["x-request-id"] == "req-123"
    # The trace goes on: same trace id, the gateway's span as parent (or the client's).
    assert seen["headers"]["traceparent"].split("-")[1] == TRACEPARENT.split("-")[1]
    # The client's span sampled its trace, so the gateway's own span is the parent.
    assert seen["headers"]["traceparent"].split("-")[2] != TRACEPARENT.split("-")[2]
    assert seen["headers"]["x-forwarded-for"] == "127.0.0.1"
    assert response.headers["x-request-id"] == "req-123"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert "default-src 'none'" in response.headers["content-security-policy"]


async def test_a_cookie_a_service_sets_goes_to_its_caller_and_never_to_the_next(edge: Edge):
    """The gateway's pooled client keeps no cookies: one caller's would reach another."""
    async with httpx.AsyncClient(base_url=edge.urls[0]) as first:
        set_cookie = await first.get("/named/cookie", headers=edge.resident(subject()))
    assert "for-the-first-caller-only" in set_cookie.headers["set-cookie"]
    async with httpx.AsyncClient(base_url=edge.urls[0]) as second:
        response = await second.get("/named/echo/x", headers=edge.resident(subject()))
    assert response.status_code == 200, response.text
    assert "cookie" not in response.json()["headers"]


async def test_a_request_body_streams_through_whole(edge: Edge):
    body = os.urandom(48 * 1024)

    async def chunks():  # type: ignore[no-untyped-def]
        for start in range(0, len(body), 4096):
            yield body[start : start + 4096]

    async with httpx.AsyncClient(base_url=edge.urls[0]) as client:
        echoed = await client.post(
            "/echo/echo/upload", content=chunks(), headers=edge.resident(subject())
        )
    assert echoed.status_code == 200, echoed.text
    assert echoed.json()["size"] == len(body)
    assert echoed.json()["sha256"] == hashlib.sha256(body).hexdigest()


async def test_a_response_streams_through_part_by_part(edge: Edge):
    async with (
        httpx.AsyncClient(base_url=edge.urls[0], timeout=30) as client,
        client.stream("GET", "/echo/gate", headers=edge.resident(subject())) as response,
    ):
        parts = response.aiter_lines()
        assert await anext(parts) == "first"
        # The service is still waiting: the first part came through before the rest existed.
        edge.release.set()
        assert await anext(parts) == "released"


async def test_a_body_over_the_limit_is_a_413_problem_and_the_service_never_gets_it_whole(
    edge: Edge,
):
    before = edge.seen["echo"]
    async with httpx.AsyncClient(base_url=edge.urls[0]) as client:
        declared = await client.post(
            "/echo/echo/big", content=b"x" * (65 * 1024), headers=edge.resident(subject())
        )

        async def endless():  # type: ignore[no-untyped-def]
            for _ in range(40):
                yield b"y" * 4096

        streamed = await client.post(
            "/echo/echo/big", content=endless(), headers=edge.resident(subject())
        )
    for response in (declared, streamed):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 413
    assert edge.seen["echo"] == before


async def test_the_rate_limit_holds_across_two_replicas_with_retry_after(edge: Edge):
    caller = edge.resident(subject())
    other = edge.resident(subject())
    async with (
        httpx.AsyncClient(base_url=edge.urls[0]) as first,
        httpx.AsyncClient(base_url=edge.urls[1]) as second,
    ):
        answers = [
            await (first if i % 2 == 0 else second).get("/echo/echo/x", headers=caller)
            for i in range(5)
        ]
        refused = await second.get("/named/echo/x", headers=caller)
        refused_too = await first.get("/echo/echo/x", headers=caller)
        someone_else = await second.get("/named/echo/x", headers=other)
    assert [a.status_code for a in answers] == [200] * 5
    for response in (refused, refused_too):
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        assert 1 <= int(response.headers["retry-after"]) <= 120
    assert someone_else.status_code == 200


async def test_far_below_the_limit_replicas_admit_on_local_views_and_still_hold_it(edge: Edge):
    """Limit 40: below 30 (the margin, max(10 %, 10)) each replica admits on its local
    view without waiting for the table; above it the table decides. Once a flush
    interval has passed after each request, the two replicas admit exactly 40."""
    caller = edge.resident(subject())
    async with (
        httpx.AsyncClient(base_url=edge.hot[0]) as first,
        httpx.AsyncClient(base_url=edge.hot[1]) as second,
    ):
        statuses = []
        for i in range(44):
            response = await (first if i % 2 == 0 else second).get("/echo/echo/x", headers=caller)
            statuses.append(response.status_code)
            await asyncio.sleep(0.02)
    assert statuses == [200] * 40 + [429] * 4


async def test_proxied_requests_are_counted_in_the_http_metrics(edge: Edge):
    async with httpx.AsyncClient(base_url=edge.urls[0]) as client:
        await client.get("/echo/echo/counted", headers=edge.resident(subject()))
        exposition = (await client.get("/metrics")).text
    counted = [
        line
        for line in exposition.splitlines()
        if line.startswith("careflow_http_requests_total")
        and 'route="/echo/{path:path}"' in line
        and 'status="200"' in line
    ]
    assert counted, exposition[:2000]
    assert float(counted[0].rsplit(" ", 1)[1]) >= 1


async def test_a_slow_service_is_a_504_problem(edge: Edge):
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=edge.urls[0], timeout=30) as client:
        response = await client.get("/echo/slow?seconds=5", headers=edge.resident(subject()))
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The echo service did not answer in time."
    # Not retried: one wait for the route's timeout (0.5 s), not several.
    assert edge.seen["slow"] >= 1
    assert time.monotonic() - started < 4.5


async def test_a_service_that_is_down_is_a_503_problem(edge: Edge):
    async with httpx.AsyncClient(base_url=edge.urls[0], timeout=30) as client:
        response = await client.get("/down/anything", headers=edge.resident(subject()))
        posted = await client.post("/down/anything", json={}, headers=edge.resident(subject()))
    for answer in (response, posted):
        assert answer.status_code == 503
        assert answer.json()["detail"] == "The down service is not reachable now."


async def test_route_checks_refuse_the_wrong_caller_before_the_service(edge: Edge):
    before = edge.seen["echo"]
    async with httpx.AsyncClient(base_url=edge.urls[0]) as client:
        anonymous = await client.get("/echo/echo/x")
        forged = await client.get("/echo/echo/x", headers={"Authorization": "Bearer nope"})
        resident = await client.get("/echo/echo/pro/1", headers=edge.resident(subject()))
        nurse = await client.get("/echo/echo/pro/1", headers=edge.professional(subject()))
        professional = await client.get("/echo/echo/mine", headers=edge.professional(subject()))
        doctor = await client.get(
            "/echo/echo/pro/1", headers=edge.professional(subject(), roles=("doctor",))
        )
    assert anonymous.status_code == 401
    assert anonymous.headers["www-authenticate"] == "Bearer"
    assert forged.status_code == 401
    assert forged.headers["www-authenticate"] == 'Bearer error="invalid_token"'
    assert [r.status_code for r in (resident, nurse, professional)] == [403, 403, 403]
    assert doctor.status_code == 200
    assert edge.seen["echo"] == before + 1


async def test_websockets_pass_through_both_ways_with_the_close_code(edge: Edge):
    ws_url = edge.urls[0].replace("http", "ws") + "/echo/ws/echo"
    token = edge.resident(subject())["Authorization"].split()[1]
    async with connect(f"{ws_url}?access_token={token}", subprotocols=["chat.v1"]) as ws:
        assert ws.subprotocol == "chat.v1"
        await ws.send("hello")
        assert await ws.recv() == "hello"
        await ws.send(b"\x00\x01binary")
        assert await ws.recv() == b"\x00\x01binary"
        await ws.send("close please")
        with pytest.raises(ConnectionClosed) as closed:
            await ws.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 4000
    with pytest.raises(InvalidStatus) as refused:
        async with connect(ws_url):
            pass
    assert refused.value.response.status_code == 401


async def test_the_merged_openapi_prefixes_paths_ids_and_components(edge: Edge):
    async with httpx.AsyncClient(base_url=edge.urls[0]) as client:
        document = (await client.get("/openapi.json")).json()
    assert document["openapi"] == "3.1.0"
    operation = document["paths"]["/echo/things/{thing_id}"]["get"]
    assert operation["operationId"] == "echo_get_thing"
    assert operation["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/echo.Thing"
    }
    assert "echo.Thing" in document["components"]["schemas"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert "Retry-After" in operation["responses"]["429"]["headers"]
    assert {"502", "503", "504"} <= operation["responses"].keys()
    assert "/audit-records" in document["paths"]
