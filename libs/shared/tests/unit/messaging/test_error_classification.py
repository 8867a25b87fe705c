"""Which handler failures are waited out and which get a bounded number of tries."""

from __future__ import annotations

import asyncpg
import pytest
from aiokafka.errors import KafkaConnectionError
from sqlalchemy.exc import DBAPIError, IntegrityError

from careflow.shared.messaging.errors import PermanentError, RetryLater, is_transient


class _AdaptedDriverError(Exception):
    """Stands in for SQLAlchemy's asyncpg adapter error, which carries a SQLSTATE."""

    def __init__(self, sqlstate: str, cause: BaseException | None = None) -> None:
        super().__init__("driver error")
        self.sqlstate = sqlstate
        self.__cause__ = cause


def _wrapped(orig: BaseException) -> DBAPIError:
    return DBAPIError("SELECT 1", {}, orig)


@pytest.mark.parametrize(
    "exc",
    [
        RetryLater("case not known yet"),
        ConnectionRefusedError(),
        TimeoutError(),
        KafkaConnectionError(),
        asyncpg.PostgresConnectionError(),
        asyncpg.ConnectionDoesNotExistError(),
        asyncpg.InterfaceError("connection is closed"),
        asyncpg.SerializationError(),
        asyncpg.DeadlockDetectedError(),
        asyncpg.AdminShutdownError(),  # raw, from a statement on the driver connection
        asyncpg.TooManyConnectionsError(),
        _wrapped(_AdaptedDriverError("40001")),
        _wrapped(_AdaptedDriverError("40P01")),
        _wrapped(_AdaptedDriverError("08006")),
        _wrapped(_AdaptedDriverError("57P01")),
        _wrapped(_AdaptedDriverError("XX000", cause=asyncpg.SerializationError())),
    ],
    ids=lambda exc: type(exc).__name__ + getattr(getattr(exc, "orig", None), "sqlstate", ""),
)
def test_infrastructure_failures_are_transient(exc: BaseException) -> None:
    assert is_transient(exc)


@pytest.mark.parametrize(
    "exc",
    [
        ValueError("bad value"),
        KeyError("missing"),
        PermanentError("schema violation"),
        asyncpg.UniqueViolationError(),
        IntegrityError("INSERT", {}, _AdaptedDriverError("23505")),
        _wrapped(_AdaptedDriverError("22P02")),
    ],
    ids=lambda exc: type(exc).__name__,
)
def test_programming_and_data_errors_are_not_transient(exc: BaseException) -> None:
    assert not is_transient(exc)
