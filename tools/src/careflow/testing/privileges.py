"""Reading what a role may do to a service's tables, for tests of the grants migrations make."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
from sqlalchemy import Enum, MetaData, Table, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from careflow.shared.db.migrate import migrate_async
from careflow.testing.servers import ServiceDatabase

WRITE = frozenset({"SELECT", "INSERT", "UPDATE", "DELETE"})
APPEND = frozenset({"SELECT", "INSERT"})
READ = frozenset({"SELECT"})
# What every migrated service database grants besides its own tables.
PLATFORM = {"outbox": WRITE, "inbox": WRITE, "alembic_version": READ}


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def granted(db: ServiceDatabase) -> dict[str, frozenset[str]]:
    """Privileges the service role holds on each table of the public schema."""
    conn = await asyncpg.connect(_dsn(db.owner_url))
    try:
        rows = await conn.fetch(
            "SELECT c.relname, a.privilege_type FROM pg_class c"
            " CROSS JOIN LATERAL aclexplode(c.relacl) a"
            " WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p')"
            " AND a.grantee = CAST($1 AS regrole)",
            db.service_role,
        )
    finally:
        await conn.close()
    found: dict[str, set[str]] = {}
    for row in rows:
        found.setdefault(row["relname"], set()).add(row["privilege_type"])
    return {table: frozenset(privileges) for table, privileges in found.items()}


async def access_lists(db: ServiceDatabase) -> dict[str, str | None]:
    """Every table's and sequence's ACL as PostgreSQL stores it, to compare two runs."""
    conn = await asyncpg.connect(_dsn(db.owner_url))
    try:
        rows = await conn.fetch(
            "SELECT relname, relacl::text AS acl FROM pg_class"
            " WHERE relnamespace = 'public'::regnamespace AND relkind IN ('r', 'p', 'S')"
        )
    finally:
        await conn.close()
    return {row["relname"]: row["acl"] for row in rows}


async def execute(url: str, statement: str) -> None:
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def refused(url: str, statement: str) -> bool:
    """True if PostgreSQL refuses `statement` for lack of privilege (SQLSTATE 42501)."""
    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute(statement)
    except asyncpg.InsufficientPrivilegeError:
        return True
    finally:
        await conn.close()
    return False


async def insert_and_read_back(url: str, table: Table) -> list[Any]:
    """Inserts one row of made-up values into `table` as the role in `url`, then reads
    the table as that role."""
    engine = create_async_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(insert(table).values(_sample_row(table)))
        async with engine.connect() as conn:
            return list(await conn.execute(select(table)))
    finally:
        await engine.dispose()


def _sample_row(table: Table) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for column in table.columns:
        generated = column.identity is not None or column.server_default is not None
        serial = column.primary_key and column.autoincrement in (True, "auto")
        if column.nullable or generated or (serial and column.type.python_type is int):
            continue
        row[column.name] = _sample_value(column.type)
    return row


def _sample_value(type_: Any) -> Any:
    if isinstance(type_, Enum):
        return type_.enums[0]
    kind = type_.python_type
    if kind is str:
        return "probe"[: getattr(type_, "length", None) or 5]
    samples: dict[type, Any] = {
        uuid.UUID: uuid.uuid4(),
        datetime: datetime.now(UTC),
        int: 1,
        bool: False,
        dict: {},
    }
    return samples[kind]


# The three checks every service's append-only audit table must pass; each service's
# test module calls them with its own migrations, metadata and audit table.


async def check_append_only_for_the_service(
    db: ServiceDatabase, migrations: Path, audit: Table
) -> None:
    """The service role adds and reads audit rows and can change none; the owner can."""
    await migrate_async(migrations, db.settings())
    assert len(await insert_and_read_back(db.service_url, audit)) == 1
    # The table name is the service's own metadata, never input.
    for statement in (
        f"UPDATE {audit.name} SET action = 'rewritten'",  # noqa: S608
        f"DELETE FROM {audit.name}",  # noqa: S608
        f"TRUNCATE {audit.name}",
    ):
        assert await refused(db.service_url, statement), statement
    assert len(await insert_and_read_back(db.owner_url, audit)) == 2


async def check_other_tables_writable_and_grants_idempotent(
    db: ServiceDatabase, migrations: Path, metadata: MetaData, audit: Table, *more: Table
) -> None:
    """Every other table (the platform's outbox and inbox too) is fully writable, and a
    second migration run changes no access list. `more`: further append-only tables."""
    await migrate_async(migrations, db.settings())
    first = await access_lists(db)
    await migrate_async(migrations, db.settings())
    assert await access_lists(db) == first
    appended = {table.name for table in (audit, *more)}
    others = {name for name in metadata.tables if name not in appended}
    assert await granted(db) == (
        PLATFORM | dict.fromkeys(appended, APPEND) | dict.fromkeys(others, WRITE)
    )


async def check_hand_grants_taken_back(db: ServiceDatabase, migrations: Path, audit: Table) -> None:
    """A right to change audit rows granted by hand is revoked by the next migration run."""
    await migrate_async(migrations, db.settings())
    await execute(db.owner_url, f'GRANT ALL ON {audit.name} TO "{db.service_role}", PUBLIC')
    await migrate_async(migrations, db.settings())
    assert (await granted(db))[audit.name] == APPEND
    assert await refused(db.service_url, f"DELETE FROM {audit.name}")  # noqa: S608
