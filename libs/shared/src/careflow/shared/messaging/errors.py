"""How a consumer classifies failures: dead-letter now, or retry with backoff."""

from __future__ import annotations

import asyncpg
from aiokafka.errors import KafkaError
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError


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
    if isinstance(exc, asyncpg.PostgresConnectionStatusError | asyncpg.InterfaceError):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and bool(exc.connection_invalidated)
