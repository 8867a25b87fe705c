"""SMS through a provider's HTTP API, and a local sink for `make run`.

Provider API (the adapter's contract; one small class to adapt for a real
vendor): `POST {base_url}/messages` with JSON `{"to": E.164, "text": ...}`,
`Authorization: Bearer <token>` and `Idempotency-Key: <delivery id>`; a
provider honouring the key sends a repeated request once. 2xx = accepted (JSON
`id` = its reference); 408, 429 and 5xx = try again; other 4xx = permanent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp

from careflow.notification.domain.errors import PermanentSendError, TransientSendError
from careflow.notification.domain.message import OutgoingMessage

_RETRYABLE = {408, 425, 429}


class HttpSmsSender:
    """aiohttp, not httpx: under the notification bench httpx's request path (anyio,
    httpcore's per-request socket checks) was a third of the service's CPU."""

    def __init__(
        self, *, base_url: str, token: str = "", timeout: float = 10.0, connections: int = 8
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._connections = connections
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:  # created on the running loop, at the first send
            self._session = aiohttp.ClientSession(
                headers=self._headers,
                timeout=self._timeout,
                # Kept-alive connections, as many as sends run at once (the sender's pacing).
                connector=aiohttp.TCPConnector(limit=self._connections),
                raise_for_status=False,
            )
        return self._session

    #: The provider honours the Idempotency-Key (the module's contract).
    drops_repeats = True

    async def prepare(self, message: OutgoingMessage) -> _OneRequest:
        return _OneRequest(self.send, message)

    async def send(self, message: OutgoingMessage) -> str | None:
        try:
            async with self._client().post(
                f"{self._base_url}/messages",
                json={"to": message.to, "text": message.body},
                headers={"Idempotency-Key": str(message.delivery_id)},
            ) as response:
                status = response.status
                body = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise TransientSendError(f"sms_unavailable:{type(exc).__name__}") from None
        if status >= 500 or status in _RETRYABLE:
            raise TransientSendError(f"sms_{status}")
        if status >= 400:
            raise PermanentSendError(f"sms_{status}")
        try:
            reference = json.loads(body).get("id")
        except (ValueError, AttributeError):
            reference = None
        return str(reference) if reference is not None else None

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


class FileSmsSink:
    """Local development: each SMS becomes `<delivery id>.json` in a directory (idempotent)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    #: One file per delivery id: a repeat overwrites it.
    drops_repeats = True

    async def prepare(self, message: OutgoingMessage) -> _OneRequest:
        return _OneRequest(self.send, message)

    async def send(self, message: OutgoingMessage) -> str | None:
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"{message.delivery_id}.json"
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps({"to": message.to, "text": message.body}))
        os.replace(partial, path)
        return path.name

    async def close(self) -> None:
        return None


class _OneRequest:
    """An SMS is handed over in one request: nothing to prepare, nothing to release."""

    def __init__(
        self, send: Callable[[OutgoingMessage], Awaitable[str | None]], message: OutgoingMessage
    ) -> None:
        self._send = send
        self._message = message

    async def complete(self) -> str | None:
        return await self._send(self._message)

    def abandon(self) -> None:
        return None
