"""The senders' outcomes, on a small asyncpg pool of their own.

Each outcome commits alone as soon as its provider answered (application.send): one
statement, the repository's (SAVE_ALONE: the outcome and its steps, committed on its
own without waiting for the disk). Through a unit of work each added a session, the
SQLAlchemy pool's check-out and check-in and the session's commit around it, about a
tenth of the service's CPU at 400 notifications/s (two outcomes each), and for email
all of it inside the handover line's turn. The pool hands back a connection without a
reset query (the statement leaves no session state behind), drops one that failed,
and opens connections as they are needed, up to `connections`.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import datetime

import asyncpg

from careflow.notification.adapters.repository import SAVE_ALONE, outcome_values
from careflow.notification.domain.delivery import Delivery

#: A server that does not answer fails the record in this time, not asyncpg's 60 s: the
#: caller retries within the delivery's lease, and the line waits meanwhile.
CONNECT_TIMEOUT_SECONDS = 10.0


async def _no_reset(_connection: asyncpg.Connection) -> None:
    """Autocommitted single statements: nothing to undo before the next use."""


class DriverOutcomeLog:
    def __init__(
        self, dsn: str, *, connections: int, application_name: str = "careflow-notification"
    ) -> None:
        self._dsn = dsn
        self._connections = connections
        self._application_name = application_name
        self._pool: asyncpg.Pool | None = None
        self._opening = asyncio.Lock()

    async def record(self, delivery: Delivery, now: datetime) -> None:
        pool = self._pool or await self._open()
        await pool.execute(SAVE_ALONE, *outcome_values(delivery, now))

    async def _open(self) -> asyncpg.Pool:
        async with self._opening:
            if self._pool is None:
                # No connection at first: an unreachable server fails the first record
                # (retried by its caller), not the sender's start.
                self._pool = await asyncpg.create_pool(
                    self._dsn,
                    min_size=0,
                    max_size=self._connections,
                    reset=_no_reset,
                    timeout=CONNECT_TIMEOUT_SECONDS,
                    server_settings={"application_name": self._application_name},
                )
            return self._pool

    async def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(pool.close(), timeout=2)
