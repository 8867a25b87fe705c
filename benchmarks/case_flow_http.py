"""The load generator's own HTTP/1.1 keep-alive client: one connection, one request at a time.

Why not httpx: on this two-core machine the generator on httpx used ~6 ms of CPU per
POST (65% of a core at ~110/s), taken from the same two cores the services under test
need; on this client ~0.5 ms (7% at ~130/s, the queue watcher included). It writes
the request and reads a Content-Length response, nothing more (uvicorn answers JSON
with a Content-Length).
"""

from __future__ import annotations

import asyncio
import contextlib
import time

#: Reconnect rather than reuse a connection idle this long: uvicorn closes idle
#: keep-alive connections after 5 s, and a request sent into that close fails
#: without ever reaching the service.
IDLE_SECONDS = 2.0


class HttpError(Exception):
    """The request failed on the way (connection, protocol, timeout): no answer."""


class KeepAliveConnection:
    def __init__(self, host: str, port: int, timeout: float) -> None:
        self._host, self._port, self._timeout = host, port, timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._last_used = 0.0

    async def connect(self) -> None:
        """Opens the connection now, not with the first request."""
        self.close()
        self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        self._last_used = time.monotonic()

    async def post_json(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        """(status, body); HttpError (named for the cause) if no answer came in time."""
        try:
            async with asyncio.timeout(self._timeout):
                return await self._exchange(path, body, token)
        except (OSError, EOFError, ValueError, TimeoutError, asyncio.IncompleteReadError) as exc:
            self.close()  # the connection's state is unknown: never reuse it
            raise HttpError(type(exc).__name__) from None

    async def _exchange(self, path: str, body: bytes, token: str) -> tuple[int, bytes]:
        if self._writer is None or time.monotonic() - self._last_used > IDLE_SECONDS:
            await self.connect()
        assert self._reader is not None
        self._writer.write(
            f"POST {path} HTTP/1.1\r\nHost: {self._host}:{self._port}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        head = (await self._reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        status = int(head[0].split(" ", 2)[1])
        headers = {
            name.strip().lower(): value.strip()
            for name, _, value in (line.partition(":") for line in head[1:] if line)
        }
        answer = await self._reader.readexactly(int(headers.get("content-length", "0")))
        self._last_used = time.monotonic()
        if headers.get("connection", "").lower() == "close":
            self.close()
        return status, answer

    def close(self) -> None:
        if self._writer is not None:
            with contextlib.suppress(Exception):
                self._writer.close()
        self._reader = self._writer = None
