"""The email handover line's outcomes, on one asyncpg connection of their own.

The line records one outcome at a time (application.send), so one connection serves
it; a unit of work per email added a session, a pool check-out and check-in and the
session's commit around the one statement, all inside the line's turn. The statement
is the repository's (SAVE_ALONE: the outcome and its steps, committed on its own
without waiting for the disk). Any error closes the connection; the caller's retry
opens a new one, so a PostgreSQL restart costs the retries it costs the pool.
"""

from __future__ import annotations

import contextlib
from datetime import datetime

import asyncpg

from careflow.notification.adapters.repository import SAVE_ALONE, outcome_values
from careflow.notification.domain.delivery import Delivery

#: A server that does not answer fails the record in this time, not asyncpg's 60 s: the
#: caller retries within the delivery's lease, and the line waits meanwhile.
CONNECT_TIMEOUT_SECONDS = 10.0


class DriverOutcomeLog:
    def __init__(self, dsn: str, *, application_name: str = "careflow-notification") -> None:
        self._dsn = dsn
        self._application_name = application_name
        self._connection: asyncpg.Connection | None = None

    async def record(self, delivery: Delivery, now: datetime) -> None:
        connection = self._connection
        if connection is None or connection.is_closed():
            connection = self._connection = await asyncpg.connect(
                self._dsn,
                timeout=CONNECT_TIMEOUT_SECONDS,
                server_settings={"application_name": self._application_name},
            )
        try:
            await connection.execute(SAVE_ALONE, *outcome_values(delivery, now))
        except BaseException:
            # Its state is unknown (a half-read answer, a dropped socket): never reused.
            self._connection = None
            connection.terminate()
            raise

    async def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await connection.close(timeout=2)
