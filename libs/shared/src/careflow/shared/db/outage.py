"""Whether an error means the database is unreachable (restarting, failing over, refusing
connections) rather than a bug: such a request is answered 503 with Retry-After, not
500, and may be tried again once PostgreSQL is back.

SQLAlchemy wraps asyncpg's errors; the original sits in the exception's chain, so the
whole chain is looked at.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import asyncpg.exceptions as pg
from sqlalchemy import exc as sa

# asyncpg: the 08xxx connection class, shutdown and start-up states, and the client's
# own state confusion when the server vanished mid-operation (seen on a restart).
_OUTAGE_TYPES: tuple[type[BaseException], ...] = (
    pg.PostgresConnectionError,
    pg.AdminShutdownError,
    pg.CrashShutdownError,
    pg.CannotConnectNowError,
    pg.ConnectionDoesNotExistError,
    pg.InternalClientError,
    pg.TooManyConnectionsError,
    sa.TimeoutError,  # the pool had no connection to give within its timeout
    # Raised bare by a new connection (refused, reset; a name that does not resolve
    # during a failover), no SQLAlchemy error around it. Other OSErrors (a missing
    # file) stay bugs.
    ConnectionError,
    socket.gaierror,
)


def _chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_database_outage(error: BaseException) -> bool:
    for link in _chain(error):
        if isinstance(link, sa.DBAPIError) and link.connection_invalidated:
            return True
        if isinstance(link, _OUTAGE_TYPES):
            return True
        # A pooled connection the server ended while it sat idle: asyncpg noticed and
        # closed it, and says so at its next use (SQLAlchemy's asyncpg dialect takes this
        # message for a disconnect too). Other interface errors are the client's misuse.
        if isinstance(link, pg.InterfaceError) and "connection is closed" in str(link):
            return True
    return False
