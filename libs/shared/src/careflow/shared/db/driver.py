"""The asyncpg connection under a session's open transaction, for a hot path's statements.

SQLAlchemy's asyncpg dialect costs about twice raw asyncpg per statement (compiled
statement lookup, execution context, bind and result processing, the events that
trace each statement). A repository may run its per-event statements on the driver
connection instead: asyncpg prepares each SQL text once per connection (its own
statement cache) and binds the values natively. Only inside a transaction SQLAlchemy
has already begun: before its first statement the driver connection is in autocommit,
and a FOR UPDATE there would lock nothing.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any, Final

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.util import greenlet_spawn

from careflow.shared.db.outage import is_database_outage

#: session.info key: (the session's transaction, its driver connection), so a use case's
#: later statements skip the look-up (session.connection() and the pool's raw connection
#: were a fifth of a driver statement's cost). Valid only for that transaction object: the
#: next transaction of the session may hold another pooled connection.
_CACHED: Final = "careflow.driver_connection"


async def driver_connection(
    session: AsyncSession, *, begin: bool = False
) -> asyncpg.Connection | None:
    """The session's asyncpg connection if a transaction is open on it, else None
    (the caller then takes its SQLAlchemy path). `begin`: a use case's first statement;
    the transaction is begun as SQLAlchemy's dialect would at its first statement."""
    if not begin and not session.in_transaction():
        return None
    transaction = session.sync_session.get_transaction()
    cached = session.info.get(_CACHED)
    if cached is not None and cached[0] is transaction and transaction is not None:
        raw = cached[1]
        if raw.is_in_transaction():
            return raw  # type: ignore[no-any-return]
    connection = await session.connection()
    pooled = await connection.get_raw_connection()
    raw = pooled.driver_connection
    if not isinstance(raw, asyncpg.Connection):
        return None
    if begin and not raw.is_in_transaction():
        # The dialect's adapter begins lazily, at its first cursor; its own begin keeps
        # its commit and rollback in charge (SQLAlchemy 2.0's asyncpg adapter).
        start = getattr(pooled.dbapi_connection, "_start_transaction", None)
        if start is None:
            return None
        try:
            await start()
        except BaseException:
            # A BEGIN cancelled half way (a chat socket's read task ends with the socket)
            # leaves the server perhaps in the transaction, asyncpg's top transaction set
            # and the dialect's flag not: reused, the next BEGIN would become a SAVEPOINT
            # and its commit a mere release, the writes never committed. Closed instead.
            raw.terminate()
            with contextlib.suppress(Exception):
                await connection.invalidate()
            raise
    if not raw.is_in_transaction():
        return None
    session.info[_CACHED] = (session.sync_session.get_transaction(), raw)
    return raw


async def transaction_connection(session: AsyncSession) -> asyncpg.Connection:
    """The session's asyncpg connection inside its transaction, begun here if need be."""
    driver = await driver_connection(session, begin=True)
    if driver is None:
        raise TypeError("the platform's engines run on asyncpg")
    return driver


async def statement_connection(session: AsyncSession) -> asyncpg.Connection:
    """The asyncpg connection for one statement: in the session's open transaction if one
    is, else outside any, where the statement commits on its own (no BEGIN and COMMIT
    round trips). A plain read there sees what a read in a READ COMMITTED transaction
    would: each statement takes its own snapshot either way."""
    if (driver := await driver_connection(session)) is not None:
        return driver
    connection = await session.connection()
    raw = (await connection.get_raw_connection()).driver_connection
    if not isinstance(raw, asyncpg.Connection):
        raise TypeError("the platform's engines run on asyncpg")
    return raw


@contextlib.asynccontextmanager
async def outside_sqlalchemy(session: AsyncSession) -> AsyncIterator[None]:
    """Around statements on the driver that may be a checked-out connection's first: a
    dropped connection (a database restart) raises asyncpg's error, which SQLAlchemy never
    sees. It is dealt with as SQLAlchemy deals with a disconnect it sees: the connection is
    discarded and so is every pooled connection as old as it, so the next use of the pool
    connects afresh instead of failing once per dead pooled connection."""
    try:
        yield
    except BaseException as error:
        if is_database_outage(error):
            with contextlib.suppress(Exception):  # the outage is the error to report
                connection = await session.connection()
                pooled = await connection.get_raw_connection()
                _forget_older(connection.sync_engine.pool, pooled, error)
                await connection.invalidate(error)
        raise


@contextlib.asynccontextmanager
async def connection_for_statement(session: AsyncSession) -> AsyncIterator[asyncpg.Connection]:
    """The asyncpg connection for one statement (a plain read, a unit of work's writes as
    one statement): the session's, if a transaction is open on it; else a pooled
    connection for this statement alone, given back right after it.

    Not the session's own connection when none is open: taking it begins the session's
    transaction, which its unit of work then has to commit and close - SQLAlchemy's
    bookkeeping for a transaction that never reaches the database. That cost twice the
    pool's checkout and check-in, about a tenth of a form submission's CPU in intake."""
    bind = session.bind
    if session.in_transaction() or not isinstance(bind, AsyncEngine):
        # A session bound to a connection (a test's outer transaction) keeps to it.
        async with outside_sqlalchemy(session):
            yield await statement_connection(session)
        return
    async with pooled_connection(bind) as raw:
        yield raw


@contextlib.asynccontextmanager
async def pooled_connection(engine: AsyncEngine) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection's asyncpg connection, as it is (outside a transaction), given
    back to the pool when the block ends.

    SQLAlchemy never sees its statements, so it cannot tell a dropped connection either.
    A connection the block leaves unusable - the database gone, a transaction still open
    after a cancelled statement or a failed rollback - is discarded, with every pooled
    connection as old as it when the database went away, as SQLAlchemy does with a
    disconnect it sees."""
    pooled = await engine.raw_connection()
    raw = pooled.driver_connection
    if not isinstance(raw, asyncpg.Connection):
        await greenlet_spawn(pooled.close)
        raise TypeError("the platform's engines run on asyncpg")
    try:
        yield raw
    except BaseException as error:
        outage = is_database_outage(error)
        if outage or _unusable(raw, error):
            raw.terminate()
            with contextlib.suppress(Exception):  # the error is the one to report
                if outage:
                    _forget_older(engine.sync_engine.pool, pooled, error)
                await greenlet_spawn(pooled.invalidate, error)
        raise
    finally:
        if pooled.dbapi_connection is not None:  # not invalidated above
            await greenlet_spawn(pooled.close)


def _forget_older(pool: Any, pooled: Any, error: BaseException) -> None:
    """Every pooled connection as old as `pooled` is discarded at its next checkout: SQLAlchemy's
    step on a disconnect (Connection._handle_dbapi_exception)."""
    pool._invalidate(pooled, error, _checkin=False)


@contextlib.asynccontextmanager
async def driver_transaction(
    engine: AsyncEngine, *, begin: str = "BEGIN"
) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection's asyncpg connection in a transaction, for a loop whose
    statements need no session (the outbox relay's pass): committed when the block ends,
    rolled back when it raises (a connection left unusable is discarded: pooled_connection).

    `begin` is sent as it is, in one round trip: "BEGIN" with the settings the
    transaction takes (`BEGIN; SET LOCAL ...`). The block may end the transaction itself
    with its last statement (`UPDATE ...; COMMIT`, on the simple protocol), which saves
    the COMMIT's round trip; a transaction still open when the block ends is committed."""
    async with pooled_connection(engine) as raw:
        try:
            await raw.execute(begin)
            yield raw
            if raw.is_in_transaction():
                await raw.execute("COMMIT")
        except BaseException as error:
            if (
                not is_database_outage(error)
                and isinstance(error, Exception)
                and raw.is_in_transaction()
            ):
                with contextlib.suppress(Exception):  # then unusable: discarded on the way out
                    await raw.execute("ROLLBACK")
            raise


def _unusable(raw: asyncpg.Connection, error: BaseException) -> bool:
    # A cancellation may have cut a statement (or the BEGIN) half way: the server may be
    # in the transaction yet, or asyncpg still count one as begun (`_top_xact`), and the
    # next transaction on the connection, SQLAlchemy's included, would become a savepoint
    # whose commit commits nothing.
    return (
        not isinstance(error, Exception)
        or raw.is_closed()
        or raw.is_in_transaction()
        or raw._top_xact is not None
    )


def value_rows(rows: int, width: int) -> str:
    """VALUES rows of asyncpg's positional parameters: `(2, 3)` is "($1, $2, $3), ($4, $5,
    $6)", row by row, as a multi-row INSERT on the driver takes its flattened values."""
    return ", ".join(
        "(" + ", ".join(f"${row * width + column}" for column in range(1, width + 1)) + ")"
        for row in range(rows)
    )


def json_value(value: Any) -> Any:
    """A json/jsonb value as the driver hands it back: the dialect's codec leaves it text."""
    return json.loads(value) if isinstance(value, str | bytes) else value


def json_param(value: Any) -> str:
    """A json/jsonb parameter for the dialect's codec, which takes text."""
    return json.dumps(value, separators=(",", ":"))
