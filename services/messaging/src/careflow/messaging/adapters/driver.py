"""The driver connection for messaging's hot-path statements (careflow.shared.db.driver).

A case message's and a chat message's statements run on the asyncpg connection of the
session's transaction: each is prepared once per connection and bound natively, where
SQLAlchemy's execution path was about half of the process's CPU per message.
"""

from __future__ import annotations

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.shared.db.driver import driver_connection


async def driver(session: AsyncSession) -> asyncpg.Connection:
    """The driver connection of the session's transaction, begun here if this is the use
    case's first statement (as SQLAlchemy's dialect would begin it)."""
    connection = await driver_connection(session, begin=True)
    if connection is None:  # only another DBAPI than asyncpg: never configured
        raise RuntimeError("messaging's statements need the asyncpg driver")
    return connection
