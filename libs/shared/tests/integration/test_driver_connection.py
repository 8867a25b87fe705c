"""driver_connection(): hot-path statements on asyncpg, inside the session's own transaction;
connection_for_statement(): one statement, in that transaction or on a pooled connection
of its own; driver_transaction(): a loop's statements in a transaction of their own."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from typing import Any

import asyncpg
import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from careflow.shared.db.driver import (
    connection_for_statement,
    driver_connection,
    driver_transaction,
    json_param,
    json_value,
)

metadata = MetaData()
notes = Table(
    "notes",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("body", JSONB, nullable=False),
)


async def test_no_driver_connection_before_the_transaction_has_begun(engine):
    async with async_sessionmaker(engine)() as session:
        # Autocommit on the driver here: a row lock or a write would not be the session's.
        assert await driver_connection(session) is None


async def test_driver_statements_commit_and_roll_back_with_the_session(engine):
    sessions = async_sessionmaker(engine)
    for commit, note in ((False, 1), (True, 2)):
        async with sessions() as session:
            await session.execute(text("SELECT 1"))
            driver = await driver_connection(session)
            assert driver is not None
            body = json_param({"kind": "note", "tags": ["a"]})
            await driver.execute("INSERT INTO notes (id, body) VALUES ($1, $2)", note, body)
            if commit:
                await session.commit()
            else:
                await session.rollback()
    async with sessions() as session:
        rows = (await session.execute(select(notes.c.id, notes.c.body))).all()
        await session.execute(text("SELECT 1"))
        driver = await driver_connection(session)
        assert driver is not None
        raw = await driver.fetchval("SELECT body FROM notes WHERE id = 2")
    assert rows == [(2, {"kind": "note", "tags": ["a"]})]
    assert json_value(raw) == {"kind": "note", "tags": ["a"]}


async def test_a_first_statement_on_the_driver_begins_the_sessions_transaction(engine):
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        driver = await driver_connection(session, begin=True)
        assert driver is not None
        assert driver.is_in_transaction()
        await driver.execute("INSERT INTO notes (id, body) VALUES (3, '{}')")
        await session.rollback()  # SQLAlchemy ends the transaction the driver began
    async with sessions() as session:
        assert (await session.execute(select(notes.c.id).where(notes.c.id == 3))).all() == []


async def test_a_later_transaction_gets_its_own_connection_not_the_cached_one(engine):
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        first = await driver_connection(session, begin=True)
        assert first is not None
        assert await driver_connection(session) is first  # the same transaction
        await session.commit()  # the connection goes back to the pool
        async with sessions() as other:
            # The other session takes that pooled connection and holds it open.
            held = await driver_connection(other, begin=True)
            assert held is first
            second = await driver_connection(session, begin=True)
            assert second is not None
            assert second is not first
            current = await (await session.connection()).get_raw_connection()
            assert second is current.driver_connection
            await second.execute("INSERT INTO notes (id, body) VALUES (4, '{}')")
            await session.commit()
            await other.rollback()
    async with sessions() as session:
        assert (await session.execute(select(notes.c.id).where(notes.c.id == 4))).all() == [(4,)]


async def _cancelled_after(steps: int, work: Coroutine[Any, Any, object]) -> None:
    """Runs `work` for `steps` passes of the loop, then cancels it."""
    task = asyncio.create_task(work)
    for _ in range(steps):
        await asyncio.sleep(0)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


async def _session_commits_note(engine, note: int) -> None:  # type: ignore[no-untyped-def]
    # Whatever connection the pool hands out next must commit what it writes (a stale
    # asyncpg transaction would make the session's a savepoint, its commit a release).
    async with async_sessionmaker(engine)() as session:
        driver = await driver_connection(session, begin=True)
        assert driver is not None
        await driver.execute("INSERT INTO notes (id, body) VALUES ($1, '{}')", note)
        await session.commit()


async def test_a_begin_cancelled_half_way_leaves_no_transaction_behind(engine):
    # A socket's read task is cancelled at any await, its first statement's BEGIN too.
    sessions = async_sessionmaker(engine)
    for steps in range(12):
        async with sessions() as session:
            await _cancelled_after(steps, driver_connection(session, begin=True))
        await _session_commits_note(engine, 100 + steps)
    async with create_async_engine(engine.url).connect() as other:
        ids = (await other.execute(select(notes.c.id).where(notes.c.id >= 100))).scalars().all()
    assert sorted(ids) == list(range(100, 112))


async def _ids_at_least(engine, first: int) -> list[int]:  # type: ignore[no-untyped-def]
    async with create_async_engine(engine.url).connect() as other:
        found = await other.execute(select(notes.c.id).where(notes.c.id >= first))
        return sorted(found.scalars().all())


async def test_a_driver_transaction_commits_at_its_end_and_rolls_back_on_an_error(engine):
    async with driver_transaction(engine) as conn:
        await conn.execute("INSERT INTO notes (id, body) VALUES (200, '{}')")
        kept = conn

    async def write_then_fail() -> None:
        async with driver_transaction(engine) as conn:
            await conn.execute("INSERT INTO notes (id, body) VALUES (201, '{}')")
            raise ZeroDivisionError

    with pytest.raises(ZeroDivisionError):
        await write_then_fail()
    assert await _ids_at_least(engine, 200) == [200]
    # A clean rollback keeps the connection: the pool hands the same one out again.
    async with driver_transaction(engine) as conn:
        assert conn is kept
        await conn.execute("INSERT INTO notes (id, body) VALUES (202, '{}')")
    assert await _ids_at_least(engine, 200) == [200, 202]


async def test_a_driver_transaction_may_begin_with_settings_and_commit_with_its_last_statement(
    engine,
):
    async with driver_transaction(engine, begin="BEGIN; SET LOCAL enable_seqscan = off") as conn:
        assert await conn.fetchval("SHOW enable_seqscan") == "off"
        await conn.execute("INSERT INTO notes (id, body) VALUES (500, '{}'); COMMIT")
        assert not conn.is_in_transaction()
        kept = conn
    assert await _ids_at_least(engine, 500) == [500]
    # The settings were the transaction's: the next one on the same connection has none.
    async with driver_transaction(engine) as conn:
        assert conn is kept
        assert await conn.fetchval("SHOW enable_seqscan") == "on"


@pytest.mark.parametrize("ends_itself", [False, True])
async def test_a_driver_transaction_cancelled_half_way_leaves_no_transaction_behind(
    engine, ends_itself: bool
):
    begin = "BEGIN; SET LOCAL enable_seqscan = off" if ends_itself else "BEGIN"
    end = "SELECT pg_sleep(0.01); COMMIT" if ends_itself else "SELECT pg_sleep(0.01)"

    async def write(note: int) -> None:
        async with driver_transaction(engine, begin=begin) as conn:
            await conn.execute("INSERT INTO notes (id, body) VALUES ($1, '{}')", note)
            await conn.execute(end)

    for steps in range(16):
        await _cancelled_after(steps, write(1000 + steps))
        await _session_commits_note(engine, 300 + steps)
    found = await _ids_at_least(engine, 300)
    assert [i for i in found if i < 1000] == list(range(300, 316))


async def test_a_statement_before_any_transaction_takes_a_pooled_connection_of_its_own(engine):
    pool = engine.sync_engine.pool
    async with async_sessionmaker(engine)() as session:
        async with connection_for_statement(session) as conn:
            assert pool.checkedout() == 1
            await conn.execute("INSERT INTO notes (id, body) VALUES (600, '{}')")
        # Committed on its own, the connection back in the pool at once, and nothing
        # begun on the session for its unit of work to end.
        assert pool.checkedout() == 0
        assert not session.in_transaction()
        assert await _ids_at_least(engine, 600) == [600]


async def test_a_statement_in_the_sessions_transaction_rolls_back_with_it(engine):
    async with async_sessionmaker(engine)() as session:
        await session.execute(text("SELECT 1"))
        async with connection_for_statement(session) as conn:
            assert conn is await driver_connection(session)
            await conn.execute("INSERT INTO notes (id, body) VALUES (610, '{}')")
        await session.rollback()
    assert await _ids_at_least(engine, 610) == []


@contextlib.asynccontextmanager
async def _one_statement(engine) -> AsyncIterator[asyncpg.Connection]:  # type: ignore[no-untyped-def]
    async with (
        async_sessionmaker(engine)() as session,
        connection_for_statement(session) as conn,
    ):
        yield conn


@pytest.mark.parametrize("way", [driver_transaction, _one_statement])
async def test_a_dropped_pooled_connection_is_discarded(
    engine, way: Callable[[Any], contextlib.AbstractAsyncContextManager[asyncpg.Connection]]
):
    async with way(engine) as conn:
        pid = conn.get_server_pid()
    async with create_async_engine(engine.url).connect() as admin:
        await admin.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        await admin.commit()
    await asyncio.sleep(0.2)
    # The pooled connection is dead: that statement fails as a database outage would...
    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, ConnectionError)):
        async with way(engine) as conn:
            await conn.execute("INSERT INTO notes (id, body) VALUES (400, '{}')")
    # ... and the next one gets a fresh connection instead of the dead one again.
    async with way(engine) as conn:
        assert conn.get_server_pid() != pid
        await conn.execute("INSERT INTO notes (id, body) VALUES (401, '{}')")
    assert await _ids_at_least(engine, 400) == [401]
    assert engine.sync_engine.pool.checkedout() == 0
