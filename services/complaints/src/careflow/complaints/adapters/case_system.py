"""Clinics' own case-handling systems over HTTP: one POST per case, with the case id as
`Idempotency-Key` so a system that got a case twice (a retry after a lost answer) keeps
it once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx

from careflow.complaints.domain.delivery import DeliveryFailed


class HttpCaseSystem:
    def __init__(self, *, timeout: float) -> None:
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def deliver(self, url: str, idempotency_key: str, body: Mapping[str, Any]) -> None:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await self._client.post(
                url, json=dict(body), headers={"Idempotency-Key": idempotency_key}
            )
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"unreachable:{type(error).__name__}") from None
        if not response.is_success:
            raise DeliveryFailed(f"http_{response.status_code}")

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
