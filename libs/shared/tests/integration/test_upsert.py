"""upsert(): ON CONFLICT writes that keep their types and are compiled once."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import Column, DateTime, MetaData, String, Table, select
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.engine.interfaces import CacheStats
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from careflow.shared.db.upsert import upsert, upsert_driver_sql, upsert_statement

metadata = MetaData()
things = Table(
    "things",
    metadata,
    Column("id", UUID(as_uuid=True), primary_key=True),
    Column("name", String, nullable=False),
    Column("details", JSONB, nullable=False),
    # A name SQL reserves: the statement must quote it.
    Column("order", String),
    Column("at", DateTime(timezone=True), nullable=False),
)


def thing(name: str, **changes: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": uuid.uuid4(),
        "name": name,
        "details": {"tags": ["a", "b"], "n": 1},
        "order": "first",
        "at": datetime.now(UTC),
    }
    return row | changes


async def all_things(engine: AsyncEngine) -> dict[uuid.UUID, dict[str, object]]:
    async with engine.connect() as connection:
        rows = await connection.execute(select(things))
        return {row.id: dict(row._mapping) for row in rows}


async def test_new_rows_are_inserted_with_their_types(engine: AsyncEngine) -> None:
    one, two, three = thing("one"), thing("two"), thing("three")
    async with AsyncSession(engine) as session:
        await upsert(session, things, [one])
        await upsert(session, things, [two, three])
        await session.commit()
    stored = await all_things(engine)
    assert stored == {row["id"]: row for row in (one, two, three)}


async def test_an_existing_key_updates_the_given_columns(engine: AsyncEngine) -> None:
    original = thing("before")
    async with AsyncSession(engine) as session:
        await upsert(session, things, [original])
        await upsert(session, things, [original | {"name": "after", "details": {"n": 2}}])
        await session.commit()
    stored = await all_things(engine)
    assert stored[original["id"]]["name"] == "after"  # type: ignore[index]
    assert stored[original["id"]]["details"] == {"n": 2}  # type: ignore[index]
    assert stored[original["id"]]["order"] == "first"  # type: ignore[index]


async def test_update_false_leaves_an_existing_row_alone(engine: AsyncEngine) -> None:
    original = thing("first")
    async with AsyncSession(engine) as session:
        await upsert(session, things, [original])
        await upsert(session, things, [original | {"name": "second"}], update=False)
        await session.commit()
    stored = await all_things(engine)
    assert stored[original["id"]]["name"] == "first"  # type: ignore[index]


async def test_the_statement_is_compiled_once_and_then_taken_from_the_cache(
    engine: AsyncEngine,
) -> None:
    statement = upsert_statement(things, tuple(thing("x")))
    hits = []
    async with engine.begin() as connection:
        for name in ("a", "b", "c"):
            result = await connection.execute(statement, thing(name))
            hits.append(result.context.cache_hit)
    # postgresql.insert().on_conflict_do_update() gives NO_CACHE_KEY every time.
    assert hits == [CacheStats.CACHE_MISS, CacheStats.CACHE_HIT, CacheStats.CACHE_HIT]


def test_columns_the_table_lacks_are_refused() -> None:
    with pytest.raises(ValueError, match="do not fit"):
        upsert_statement(things, ("id", "colour"))
    with pytest.raises(ValueError, match="do not fit"):
        upsert_statement(things, ("name",))  # without its key


def test_the_driver_form_numbers_the_parameters_in_column_order():
    sql = upsert_driver_sql(things, ("id", "name", "details", "order", "at"))
    assert "VALUES ($1, $2, $3, $4, $5)" in sql
    assert ":" not in sql
