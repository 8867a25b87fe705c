"""Admission: a service takes only the requests it can finish in time; the rest get 503 at once.

Without it an overloaded service queues every request (in the event loop, the
connection pool, the kernel's accept queue) and everyone's latency grows
together — 30-45 s in the overload run that found it. Here at most
`max_in_flight` requests run at once; a request that finds them all busy
waits at most `queue_seconds` among at most `max_queued` others, and is
otherwise answered 503 with `Retry-After` before its body is read, so a
refused request costs next to nothing and changes nothing. Health probes and
scrapes are never refused (an overloaded process is alive), nor WebSockets (a
socket is a long session; its own limits apply).
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Receive, Scope, Send

from careflow.shared.http.problems import problem_response
from careflow.shared.settings import AdmissionLimits

_ALWAYS_ADMITTED = frozenset({"/healthz", "/readyz", "/metrics"})


class Admission:
    def __init__(self, app: ASGIApp, limits: AdmissionLimits) -> None:
        self.app = app
        self.limits = limits
        self._slots = asyncio.Semaphore(limits.max_in_flight) if limits.max_in_flight else None
        self._waiting = 0
        self.refused = 0  # since start; the HTTP metrics count them by route as 503s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        slots = self._slots
        if slots is None or scope["type"] != "http" or scope["path"] in _ALWAYS_ADMITTED:
            await self.app(scope, receive, send)
            return
        if not await self._admitted(slots):
            self.refused += 1
            await self._refuse(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            slots.release()

    async def _admitted(self, slots: asyncio.Semaphore) -> bool:
        if not slots.locked():
            await slots.acquire()  # a free slot: taken without yielding
            return True
        if self._waiting >= self.limits.max_queued:
            return False
        self._waiting += 1
        try:
            async with asyncio.timeout(self.limits.queue_seconds):
                await slots.acquire()
            return True
        except TimeoutError:
            return False
        finally:
            self._waiting -= 1

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            503,
            "Service overloaded",
            "The service is at capacity; nothing was done. Try again after Retry-After seconds.",
            headers={"Retry-After": str(self.limits.retry_after_seconds)},
        )
        await response(scope, receive, send)
