"""`admit`: whether a request is within its caller's and its address's rate limits."""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from careflow.gateway.application.ports import RateCounter
from careflow.gateway.domain.limits import retry_after, window_start

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    window_seconds: int
    per_subject: int
    per_address: int
    store_timeout: float


@dataclass
class RateLimiter:
    counter: RateCounter
    limits: Limits
    secret: bytes
    clock: Callable[[], float]

    def _key(self, kind: bytes, value: str) -> bytes:
        # Keyed, so the table holds neither subjects nor addresses, nor a hash of
        # them anyone could recompute by trying every address.
        return hashlib.blake2b(
            kind + b"\0" + value.encode(), key=self.secret, digest_size=16
        ).digest()

    async def admit(self, subject: str | None, address: str | None) -> int | None:
        """None: admitted; otherwise the seconds a client should wait (429)."""
        wanted: dict[bytes, int] = {}
        if subject is not None:
            wanted[self._key(b"s", subject)] = self.limits.per_subject
        if address is not None:
            wanted[self._key(b"a", address)] = self.limits.per_address
        if not wanted:
            return None
        length = self.limits.window_seconds
        now = self.clock()
        started = window_start(now, length)
        try:
            async with asyncio.timeout(self.limits.store_timeout):
                counts = await self.counter.count(sorted(wanted), started, length)
        except Exception as exc:
            # Fail open: the limits protect the services, an outage of their store
            # must not take the API down with it.
            log.warning("rate limit store unavailable, request admitted: %s", type(exc).__name__)
            return None
        waits = [
            wait
            for key, limit in wanted.items()
            if (wait := retry_after(counts[key], limit, now, length)) is not None
        ]
        return max(waits) if waits else None
