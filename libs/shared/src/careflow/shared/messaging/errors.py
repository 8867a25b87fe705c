"""How a consumer classifies failures: dead-letter now, or retry with backoff."""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# SQLSTATE classes and codes that heal by themselves: connection exceptions (08),
# operator intervention such as a server restart (57P), insufficient resources (53),
# serialization failure and deadlock (40001, 40P01) — retrying the transaction is the cure.
_TRANSIENT_SQLSTATE_PREFIXES = ("08", "53", "57P")
_TRANSIENT_SQLSTATES = frozenset({"40001", "40P01"})

_TRANSIENT_DRIVER_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.SerializationError,
    asyncpg.DeadlockDetectedError,
    asyncpg.TooManyConnectionsError,
)


class PermanentError(Exception):
    """Retrying cannot help (bad schema, unknown type or version): dead-letter it."""

    def __init__(self, reason: str, code: str = "permanent") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


class RetryLater(Exception):
    """The message is valid but cannot be applied yet (e.g. arrived before its
    prerequisite); retried with backoff, never dropped."""


def is_transient(exc: BaseException) -> bool:
    """Infrastructure failures are retried without limit; they heal by themselves."""
    if isinstance(exc, RetryLater | OSError | ConnectionError | KafkaError | TimeoutError):
        return True
    if isinstance(exc, _TRANSIENT_DRIVER_ERRORS):
        return True
    if isinstance(exc, asyncpg.PostgresError):
        # Raised as is by statements on the driver connection (careflow.shared.db.driver),
        # e.g. AdminShutdownError (57P01) when PostgreSQL restarts.
        return _transient_sqlstate(getattr(exc, "sqlstate", None))
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    if isinstance(exc, DBAPIError):
        return exc.connection_invalidated or _has_transient_sqlstate(exc)
    return False


def _has_transient_sqlstate(exc: DBAPIError) -> bool:
    # SQLAlchemy's asyncpg adapter keeps the driver's exception as the cause of `orig`.
    for candidate in (exc.orig, getattr(exc.orig, "__cause__", None)):
        if isinstance(candidate, _TRANSIENT_DRIVER_ERRORS):
            return True
        sqlstate = getattr(candidate, "sqlstate", None) or getattr(candidate, "pgcode", None)
        if _transient_sqlstate(sqlstate):
            return True
    return False


def _transient_sqlstate(sqlstate: object) -> bool:
    return isinstance(sqlstate, str) and (
        sqlstate in _TRANSIENT_SQLSTATES or sqlstate.startswith(_TRANSIENT_SQLSTATE_PREFIXES)
    )
