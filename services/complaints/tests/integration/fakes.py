"""Real local HTTP servers standing in for the e-services directory and a clinic's own
case-handling system (aiohttp, on free ports, in the tests' event loop)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


class _Server:
    def __init__(self) -> None:
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self.url = ""

    async def start(self, port: int = 0) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{self.port}"

    async def start_again(self) -> None:
        """On the same port, so the service's settings still reach it."""
        await self.start(self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()


@dataclass
class Unit:
    name: str
    region_code: str
    activated: bool = True


class Directory(_Server):
    """`POST /units/lookup {"hsa_ids": [...]}` -> the units it knows."""

    def __init__(self) -> None:
        super().__init__()
        self.units: dict[str, Unit] = {}
        self.requests = 0
        self.app.router.add_post("/units/lookup", self._lookup)

    def add(self, hsa_id: str, region_code: str, *, activated: bool = True, name: str = "") -> str:
        self.units[hsa_id] = Unit(name or f"Mottagning {hsa_id[-4:]}", region_code, activated)
        return hsa_id

    async def _lookup(self, request: web.Request) -> web.Response:
        self.requests += 1
        ids = (await request.json())["hsa_ids"]
        units = [
            {"hsa_id": i, "name": u.name, "region_code": u.region_code, "activated": u.activated}
            for i in ids
            if (u := self.units.get(i)) is not None
        ]
        return web.json_response({"units": units})


@dataclass
class Received:
    idempotency_key: str
    body: dict[str, Any]


@dataclass
class CaseSystem(_Server):
    """A clinic's own system: answers 500 `failures` times, then keeps each case once
    (by its Idempotency-Key)."""

    failures: int = 0
    attempts: list[str] = field(default_factory=list)
    kept: dict[str, Received] = field(default_factory=dict)

    def __post_init__(self) -> None:
        super().__init__()
        self.app.router.add_post("/cases", self._take)

    async def _take(self, request: web.Request) -> web.Response:
        key = request.headers.get("Idempotency-Key", "")
        self.attempts.append(key)
        if self.failures > 0:
            self.failures -= 1
            return web.Response(status=500, text="unavailable")
        body = json.loads(await request.read())
        if key not in self.kept:
            self.kept[key] = Received(key, body)
        return web.json_response({"accepted": True}, status=201)
