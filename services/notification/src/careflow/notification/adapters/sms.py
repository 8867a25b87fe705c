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
from pathlib import Path

import httpx

from careflow.notification.domain.errors import PermanentSendError, TransientSendError
from careflow.notification.domain.message import OutgoingMessage

_RETRYABLE = {408, 425, 429}


class HttpSmsSender:
    def __init__(
        self, *, base_url: str, token: str = "", timeout: float = 10.0, connections: int = 8
    ) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        # Kept-alive connections, as many as sends run at once (the sender's pacing).
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        self._client = httpx.AsyncClient(
            base_url=base_url, headers=headers, timeout=timeout, limits=limits
        )

    async def send(self, message: OutgoingMessage) -> str | None:
        try:
            response = await self._client.post(
                "/messages",
                json={"to": message.to, "text": message.body},
                headers={"Idempotency-Key": str(message.delivery_id)},
            )
        except httpx.HTTPError as exc:
            raise TransientSendError(f"sms_unavailable:{type(exc).__name__}") from None
        status = response.status_code
        if status >= 500 or status in _RETRYABLE:
            raise TransientSendError(f"sms_{status}")
        if status >= 400:
            raise PermanentSendError(f"sms_{status}")
        try:
            reference = response.json().get("id")
        except (ValueError, AttributeError):
            reference = None
        return str(reference) if reference is not None else None

    async def close(self) -> None:
        await self._client.aclose()


class FileSmsSink:
    """Local development: each SMS becomes `<delivery id>.json` in a directory (idempotent)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    async def send(self, message: OutgoingMessage) -> str | None:
        self._directory.mkdir(parents=True, exist_ok=True)
        path = self._directory / f"{message.delivery_id}.json"
        partial = path.with_suffix(".part")
        partial.write_text(json.dumps({"to": message.to, "text": message.body}))
        os.replace(partial, path)
        return path.name

    async def close(self) -> None:
        return None
