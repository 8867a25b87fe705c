"""The e-services directory over HTTP.

The directory answers `POST {url}/units/lookup` with body `{"hsa_ids": [...]}` by
`{"units": [{"hsa_id", "name", "region_code", "activated"}, ...]}`, one entry per
id it knows; an id it does not know is left out.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

import httpx

from careflow.complaints.domain.clinics import DirectoryEntry
from careflow.complaints.domain.errors import DirectoryUnavailable

UNAVAILABLE = "The e-services directory did not answer; nothing was changed. Try again later."


class HttpDirectory:
    def __init__(self, base_url: str, *, timeout: float) -> None:
        self._base_url = base_url.rstrip("/")
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def lookup(self, hsa_ids: Collection[str]) -> Mapping[str, DirectoryEntry]:
        if not hsa_ids:
            return {}
        if not self._base_url:
            raise DirectoryUnavailable(UNAVAILABLE)
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=self._timeout)
        try:
            response = await self._client.post(
                f"{self._base_url}/units/lookup", json={"hsa_ids": list(hsa_ids)}
            )
            response.raise_for_status()
            units = response.json()["units"]
            return {
                u["hsa_id"]: DirectoryEntry(
                    hsa_id=u["hsa_id"],
                    name=str(u.get("name") or u["hsa_id"])[:200],
                    region_code=u["region_code"],
                    activated=bool(u["activated"]),
                )
                for u in units
            }
        except (httpx.HTTPError, ValueError, KeyError, TypeError):
            raise DirectoryUnavailable(UNAVAILABLE) from None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
