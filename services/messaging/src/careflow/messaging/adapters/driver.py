"""The driver connection for messaging's hot-path statements (careflow.shared.db.driver).

A case message's and a chat message's statements run on the asyncpg connection of the
session's transaction: each is prepared once per connection and bound natively, where
SQLAlchemy's execution path was about half of the process's CPU per message.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

import asyncpg
from asyncpg.transaction import Transaction
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession

from careflow.shared.db.driver import driver_connection


class DriverTransaction:
    """A unit of work's transaction straight on a pooled asyncpg connection, no session: for
    a use case whose statements all run on the driver (a chat message's write). A session,
    its transaction and connection wrappers per message were the largest allocation left on
    the chat path, kept alive across its round trips and so promoted to the collector's
    oldest generation, whose full collections paused the process."""

    def __init__(self, engine: Callable[[], AsyncEngine]) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None
        self._raw: asyncpg.Connection | None = None
        self._transaction: Transaction | None = None

    async def begun(self) -> asyncpg.Connection:
        if self._raw is None:
            self._connection = await self._engine().connect()
            self._raw = (await self._connection.get_raw_connection()).driver_connection
            self._transaction = self._raw.transaction()
            await self._transaction.start()
        return self._raw

    async def commit(self) -> None:
        if self._transaction is not None:
            await self._transaction.commit()
            self._transaction = None

    async def close(self) -> None:
        """Rolls back what was not committed and returns the connection to the pool; one
        left inside a transaction (a cancelled BEGIN or ROLLBACK) is closed, never reused."""
        raw, connection = self._raw, self._connection
        self._raw = self._connection = None
        if connection is None:
            return
        try:
            if self._transaction is not None and raw is not None and not raw.is_closed():
                with contextlib.suppress(Exception):  # a failed rollback: closed below
                    await self._transaction.rollback()
        finally:
            self._transaction = None
            if raw is not None and not raw.is_closed() and raw.is_in_transaction():
                raw.terminate()
                with contextlib.suppress(Exception):
                    await connection.invalidate()
            await connection.close()


async def driver(session: AsyncSession | DriverTransaction) -> asyncpg.Connection:
    """The driver connection of the session's transaction, begun here if this is the use
    case's first statement (as SQLAlchemy's dialect would begin it)."""
    if isinstance(session, DriverTransaction):
        return await session.begun()
    connection = await driver_connection(session, begin=True)
    if connection is None:  # only another DBAPI than asyncpg: never configured
        raise RuntimeError("messaging's statements need the asyncpg driver")
    return connection
