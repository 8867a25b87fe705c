"""A unit of work's writes as one statement: atomic alone, or inside the open transaction."""

from __future__ import annotations

import asyncpg
import pytest
from sqlalchemy import Column, ForeignKey, Integer, MetaData, Table, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from careflow.shared.db.driver import statement_connection
from careflow.shared.db.write_batch import MAX_PARTS, ExpectationFailed, WriteBatch, write

metadata = MetaData()
Table("parents", metadata, Column("id", Integer, primary_key=True))
Table(
    "children",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("parent_id", Integer, ForeignKey("parents.id"), nullable=False),
)

PARENT = "INSERT INTO parents (id) VALUES ($1)"
CHILD = "INSERT INTO children (id, parent_id) VALUES ($1, $2)"


async def _rows(engine: AsyncEngine) -> tuple[list[int], list[int]]:
    async with engine.connect() as connection:
        parents = (await connection.execute(text("SELECT id FROM parents ORDER BY id"))).scalars()
        parent_ids = list(parents)
        children = (await connection.execute(text("SELECT id FROM children ORDER BY id"))).scalars()
        return parent_ids, list(children)


async def test_before_any_transaction_the_writes_commit_as_one_statement(engine):
    sent: list[str] = []
    async with async_sessionmaker(engine)() as session:
        raw = await statement_connection(session)
        raw.add_query_logger(lambda record: sent.append(record.query))
        batch = WriteBatch()
        batch.add(CHILD, 10, 1)  # the parent it references comes in a later part
        batch.add(PARENT, 1)
        await write(session, batch)
        assert await _rows(engine) == ([1], [10])  # committed before the session's commit
        await session.commit()
    assert len(sent) == 1
    assert not any(query.strip().upper() in ("BEGIN", "COMMIT") for query in sent)


async def test_writes_before_any_transaction_begin_none_on_the_session(engine):
    async with async_sessionmaker(engine)() as session:
        batch = WriteBatch()
        batch.add(PARENT, 7)
        await write(session, batch)
        # A pooled connection for the statement alone: nothing for the unit of work to end.
        assert not session.in_transaction()
        assert engine.sync_engine.pool.checkedout() == 0
    assert await _rows(engine) == ([7], [])


async def test_one_failing_part_leaves_nothing_of_the_others(engine):
    sessions = async_sessionmaker(engine)
    for parts in (2, MAX_PARTS + 4):  # one statement; one statement each in a transaction
        batch = WriteBatch()
        for n in range(1, parts):
            batch.add(PARENT, 100 * parts + n)
        batch.add(CHILD, 1, 999)  # no such parent
        async with sessions() as session:
            with pytest.raises(asyncpg.ForeignKeyViolationError):
                await write(session, batch)
    assert await _rows(engine) == ([], [])


async def test_many_parts_commit_with_the_session(engine):
    batch = WriteBatch()
    for n in range(1, MAX_PARTS + 3):
        batch.add(PARENT, n)
    async with async_sessionmaker(engine)() as session:
        await write(session, batch)
        assert await _rows(engine) == ([], [])  # still in the transaction they began
        await session.commit()
    assert await _rows(engine) == (list(range(1, MAX_PARTS + 3)), [])


async def test_in_an_open_transaction_the_writes_roll_back_with_it(engine):
    async with async_sessionmaker(engine)() as session:
        await session.execute(text("SELECT 1"))  # the session's transaction has begun
        batch = WriteBatch()
        batch.add(PARENT, 5)
        batch.add(CHILD, 50, 5)
        await write(session, batch)
        assert await _rows(engine) == ([], [])
        await session.rollback()
    assert await _rows(engine) == ([], [])


async def test_parts_with_more_values_than_one_statement_takes_still_commit_together(engine):
    rows = 12_000  # three parts of these: 36,000 values, past PostgreSQL's 32,767
    values = ", ".join(f"(${n})" for n in range(1, rows + 1))
    many = f"INSERT INTO parents (id) VALUES {values}"  # noqa: S608 (placeholders only)
    batch = WriteBatch()
    for part in range(3):
        batch.add(many, *range(part * rows + 1, (part + 1) * rows + 1))
    async with async_sessionmaker(engine)() as session:
        await write(session, batch)
        await session.commit()
    parents, _ = await _rows(engine)
    assert len(parents) == 3 * rows


# An expectation on rows the batch does not write: a parent of that id exists.
PARENT_EXISTS = "EXISTS (SELECT 1 FROM parents WHERE id = $1)"


async def test_writes_whose_expectation_holds_are_written_in_the_one_statement(engine):
    sessions = async_sessionmaker(engine)
    async with sessions() as session:
        batch = WriteBatch()
        batch.add(PARENT, 1)
        await write(session, batch)
    sent: list[str] = []
    async with sessions() as session:
        raw = await statement_connection(session)
        raw.add_query_logger(lambda record: sent.append(record.query))
        batch = WriteBatch()
        batch.add(CHILD, 10, 1)
        batch.expect(PARENT_EXISTS, 1)
        await write(session, batch)
        assert await _rows(engine) == ([1], [10])  # committed on its own
        await session.commit()
    [statement] = sent
    assert "FROM parents WHERE id" in statement


async def test_writes_whose_expectation_fails_write_nothing(engine):
    sessions = async_sessionmaker(engine)
    # One statement alone, one inside a transaction, and one statement each in a
    # transaction (too many parts for one): each refused whole.
    for parts, begun in ((2, False), (2, True), (MAX_PARTS + 4, False)):
        batch = WriteBatch()
        for n in range(1, parts + 1):
            batch.add(PARENT, 100 * parts + n)
        batch.expect(PARENT_EXISTS, 7)  # no parent 7
        batch.expect("$1 > 0", 1)  # a second one, which holds: both must
        async with sessions() as session:
            if begun:
                await session.execute(text("SELECT 1"))
            with pytest.raises(ExpectationFailed):
                await write(session, batch)
            await session.rollback()
    assert await _rows(engine) == ([], [])
