"""The complaints bench's open-loop load: every slot sent once, on the generator's own
keep-alive client, each send's answer recorded against its slot."""

from __future__ import annotations

import sys
from pathlib import Path

from aiohttp import web

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from complaints_load import offer


async def _server(status: int) -> tuple[web.AppRunner, str, list[tuple[str, int]]]:
    seen: list[tuple[str, int]] = []

    async def post(request: web.Request) -> web.Response:
        body = await request.json()
        seen.append((request.headers["Authorization"], body["n"]))
        if status != 201:
            return web.json_response({"title": "Service overloaded"}, status=status)
        return web.json_response({"case_id": f"case-{body['n']}"}, status=201)

    app = web.Application()
    app.router.add_post("/complaints", post)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    return runner, f"http://127.0.0.1:{runner.addresses[0][1]}", seen


async def test_every_slot_is_sent_once_with_its_token_and_its_case_recorded() -> None:
    runner, url, seen = await _server(201)
    try:
        sent = await offer(url, ["a", "b"], lambda i: {"n": i}, 200.0, 0.1, connections=3)
    finally:
        await runner.cleanup()
    assert len(sent) == 20
    assert sorted(n for _, n in seen) == list(range(20))
    assert all(token == f"Bearer {'ab'[n % 2]}" for token, n in seen)
    assert [s.case_id for s in sent] == [f"case-{i}" for i in range(20)]
    assert all(s.status == 201 and s.error is None for s in sent)
    assert [s.due for s in sent] == sorted(s.due for s in sent)


async def test_a_refused_send_is_recorded_without_a_case() -> None:
    runner, url, _seen = await _server(503)
    try:
        sent = await offer(url, ["a"], lambda i: {"n": i}, 100.0, 0.05, connections=2)
    finally:
        await runner.cleanup()
    assert [(s.status, s.case_id) for s in sent] == [(503, None)] * 5


async def test_a_service_that_is_not_there_is_an_error_per_send() -> None:
    runner, url, _seen = await _server(201)
    await runner.cleanup()
    sent = await offer(url, ["a"], lambda i: {"n": i}, 100.0, 0.03, connections=1)
    assert len(sent) == 3
    assert all(s.status is None and s.case_id is None and s.error for s in sent)
