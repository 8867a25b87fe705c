"""Admission: bounded work in flight, a short bounded wait, then 503 with Retry-After at once."""

from __future__ import annotations

import asyncio

import httpx
from starlette.types import Receive, Scope, Send

from careflow.shared.http.admission import Admission
from careflow.shared.settings import AdmissionLimits


class Gate:
    """An app whose requests finish only when the test opens the gate."""

    def __init__(self) -> None:
        self.opened = asyncio.Event()
        self.started = 0
        self.bodies_read = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.started += 1
        if scope["path"] not in ("/healthz", "/metrics"):
            await receive()
            self.bodies_read += 1
            await self.opened.wait()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


def _client(app: Admission) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test")


async def _until(predicate) -> None:  # type: ignore[no-untyped-def]
    for _ in range(200):
        if predicate():
            return
        await asyncio.sleep(0.005)
    raise AssertionError("condition not reached")


async def test_beyond_the_slots_and_the_queue_a_request_is_refused_at_once_unread():
    gate = Gate()
    limits = AdmissionLimits(max_in_flight=2, max_queued=1, queue_seconds=5, retry_after_seconds=2)
    app = Admission(gate, limits)
    async with _client(app) as client:
        running = [asyncio.create_task(client.post("/forms", json={})) for _ in range(2)]
        await _until(lambda: gate.started == 2)
        queued = asyncio.create_task(client.post("/forms", json={}))
        await asyncio.sleep(0.05)
        refused = await client.post("/forms", json={"a": 1})  # no slot, queue full: at once
        assert refused.status_code == 503
        assert refused.headers["retry-after"] == "2"
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.json()["title"] == "Service overloaded"
        assert gate.bodies_read == 2  # the refused request's body was never read
        gate.opened.set()
        assert [r.status_code for r in await asyncio.gather(*running, queued)] == [200] * 3
    assert gate.started == 3


async def test_a_queued_request_is_refused_when_no_slot_frees_within_the_wait():
    gate = Gate()
    app = Admission(gate, AdmissionLimits(max_in_flight=1, max_queued=10, queue_seconds=0.05))
    async with _client(app) as client:
        running = asyncio.create_task(client.post("/forms", json={}))
        await _until(lambda: gate.started == 1)
        assert (await client.post("/forms", json={})).status_code == 503
        gate.opened.set()
        assert (await running).status_code == 200
        # capacity is back: the next one is admitted
        assert (await client.post("/forms", json={})).status_code == 200


async def test_health_and_metrics_are_answered_however_busy_the_service_is():
    gate = Gate()
    app = Admission(gate, AdmissionLimits(max_in_flight=1, max_queued=0, queue_seconds=0))
    async with _client(app) as client:
        running = asyncio.create_task(client.post("/forms", json={}))
        await _until(lambda: gate.started == 1)
        assert (await client.get("/healthz")).status_code == 200
        assert (await client.get("/metrics")).status_code == 200
        assert (await client.post("/forms", json={})).status_code == 503
        gate.opened.set()
        await running


async def test_zero_slots_means_no_admission_control():
    gate = Gate()
    gate.opened.set()
    app = Admission(gate, AdmissionLimits(max_in_flight=0))
    async with _client(app) as client:
        statuses = await asyncio.gather(*(client.post("/forms", json={}) for _ in range(50)))
    assert {r.status_code for r in statuses} == {200}
