"""Moving parts of the complaints benchmark: the e-services directory (a real local HTTP
server), the open-loop load of POST /complaints and the watcher of complaints.cases.v1."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from aiokafka import AIOKafkaConsumer
from case_flow_http import HttpError, KeepAliveConnection

from careflow.contracts.registry import COMPLAINTS_CASES

SUBMITTED = b"careflow.complaint.submitted.v1"


class Directory:
    """`POST /units/lookup`: every id it was given as (name, region, activated)."""

    def __init__(self) -> None:
        self.units: dict[str, tuple[str, bool]] = {}
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_post("/units/lookup", self._lookup)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        self.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _lookup(self, request: web.Request) -> web.Response:
        ids = (await request.json())["hsa_ids"]
        units = [
            {"hsa_id": i, "name": f"Mottagning {i[-5:]}", "region_code": u[0], "activated": u[1]}
            for i in ids
            if (u := self.units.get(i)) is not None
        ]
        return web.json_response({"units": units})


def hsa_id(n: int, prefix: str = "E") -> str:
    return f"SE2321000131-{prefix}{n:09d}"


class Watcher:
    """When each case's ComplaintSubmitted reached the topic (monotonic s, by case id)."""

    def __init__(self, bootstrap: str) -> None:
        self.seen: dict[str, float] = {}
        #: When the relay's producer stamped each record (its Kafka CreateTime), monotonic.
        self.published: dict[str, float] = {}
        self._wall_to_mono = time.time() - time.monotonic()
        self._consumer = AIOKafkaConsumer(
            COMPLAINTS_CASES.name,
            bootstrap_servers=bootstrap,
            group_id=f"bench-complaints-{uuid.uuid4().hex[:8]}",
            auto_offset_reset="latest",
            fetch_max_wait_ms=20,
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._consumer.start()
        while not self._consumer.assignment():  # noqa: ASYNC110 (aiokafka has no event for it)
            await asyncio.sleep(0.1)
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while True:
            batch = await self._consumer.getmany(timeout_ms=200)
            now = time.monotonic()
            for records in batch.values():
                for record in records:
                    if dict(record.headers).get("ce_type") == SUBMITTED and record.key:
                        key = record.key.decode()
                        self.seen.setdefault(key, now)
                        self.published.setdefault(key, record.timestamp / 1000 - self._wall_to_mono)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()


@dataclass
class Sent:
    due: float
    sent_at: float | None = None  # the request written (monotonic)
    answered_at: float | None = None
    status: int | None = None
    case_id: str | None = None
    error: str | None = None


async def offer(
    base_url: str,
    tokens: list[str],
    body: Any,
    rate: float,
    seconds: float,
    *,
    connections: int = 100,
    request_timeout: float = 30.0,
) -> list[Sent]:
    """POST /complaints at `rate` for `seconds`, open loop: each send is due at its slot
    whatever earlier ones answered (a slow service shows as latency, not as fewer sends).

    Over `connections` keep-alive connections of the generator's own client
    (case_flow_http: httpx costs ~6 ms of CPU per POST on this machine, more than the
    service under test, and its pool's queue grows costlier the more requests wait),
    each taking the next due slot in order; never more requests in flight than
    connections."""
    count = max(1, round(rate * seconds))
    url = urlsplit(base_url)
    host, port = url.hostname or "127.0.0.1", url.port or 80
    start = time.monotonic()
    sent = [Sent(due=start + i / rate) for i in range(count)]
    slots = iter(range(count))

    async def connection() -> None:
        conn = KeepAliveConnection(host, port, request_timeout)
        try:
            for i in slots:
                entry = sent[i]
                await asyncio.sleep(max(0.0, entry.due - time.monotonic()))
                payload = json.dumps(body(i)).encode()
                entry.sent_at = time.monotonic()
                try:
                    status, answer = await conn.post_json(
                        "/complaints", payload, tokens[i % len(tokens)]
                    )
                except HttpError as error:
                    entry.error = str(error)
                    continue
                entry.answered_at = time.monotonic()
                entry.status = status
                if status == 201:
                    entry.case_id = json.loads(answer)["case_id"]
        finally:
            conn.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return sent
