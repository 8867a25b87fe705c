"""INSERT ... ON CONFLICT statements that SQLAlchemy compiles once.

SQLAlchemy 2.0's `postgresql.insert()` sets `inherit_cache = False`, so every
execution of an ON CONFLICT statement compiled it again ("[no key]" in the
engine log): for intake's 28-column case row that compilation was the largest
single CPU cost of a form submission. A `text()` with typed bind parameters
has a cache key, and the types keep their bind processing (JSONB, UUID, enums).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, TextClause, bindparam, text
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

_QUOTE = postgresql.dialect().identifier_preparer


@functools.cache
def upsert_statement(
    table: Table, columns: tuple[str, ...], key: tuple[str, ...] = ("id",), *, update: bool = True
) -> TextClause:
    """INSERT of `columns`; on a `key` conflict the other columns are updated (or nothing is)."""
    unknown = [name for name in (*columns, *key) if name not in table.c]
    if unknown or not set(key) <= set(columns):
        raise ValueError(f"{table.name}: columns {columns} and key {key} do not fit the table")
    names = ", ".join(_QUOTE.quote(name) for name in columns)
    values = ", ".join(f":{name}" for name in columns)
    target = ", ".join(_QUOTE.quote(name) for name in key)
    changed = [_QUOTE.quote(name) for name in columns if name not in key]
    action = (
        "DO UPDATE SET " + ", ".join(f"{name} = excluded.{name}" for name in changed)
        if update and changed
        else "DO NOTHING"
    )
    # Only the table's own (checked, quoted) names are interpolated; values are bound.
    table_name = _QUOTE.format_table(table)
    sql = f"INSERT INTO {table_name} ({names}) VALUES ({values}) ON CONFLICT ({target}) {action}"  # noqa: S608
    return text(sql).bindparams(*(bindparam(name, type_=table.c[name].type) for name in columns))


@functools.cache
def upsert_driver_sql(
    table: Table, columns: tuple[str, ...], key: tuple[str, ...] = ("id",), *, update: bool = True
) -> str:
    """`upsert_statement`'s SQL with asyncpg's positional parameters ($1 = columns[0], ...),
    for a hot path on the driver connection (careflow.shared.db.driver)."""
    sql = str(upsert_statement(table, columns, key, update=update))
    for position, name in sorted(enumerate(columns, 1), key=lambda p: -len(p[1])):
        # Longest names first: ":case_id" must not be taken for ":case" plus "_id".
        sql = sql.replace(f":{name}", f"${position}")
    return sql


async def upsert(
    session: AsyncSession,
    table: Table,
    rows: Sequence[dict[str, Any]],
    key: tuple[str, ...] = ("id",),
    *,
    update: bool = True,
) -> None:
    """Writes `rows` (all with the same keys); rows whose `key` exists update it or are skipped."""
    if not rows:
        return
    statement = upsert_statement(table, tuple(rows[0]), key, update=update)
    # One row: a plain execute (a single prepared-statement round trip); several:
    # the driver's executemany, which pipelines them.
    await session.execute(statement, rows[0] if len(rows) == 1 else list(rows))
