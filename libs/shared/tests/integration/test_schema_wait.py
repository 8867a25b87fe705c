"""A service that does not migrate on start waits, as its own role, until the schema is
at its build's head: never migrated and behind both wait; a newer revision does not."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from careflow.shared.db.migrate import migrate_async, upgrade_async
from careflow.shared.db.schema_wait import wait_for_schema
from careflow.testing.privileges import READ, granted, refused
from careflow.testing.servers import ServiceDatabase

from .sample_history import MIGRATIONS, sample_history_with

POLL = 0.05

SECOND = '''"""a later migration of the same service"""
from alembic import op
import sqlalchemy as sa

revision = "0002"
down_revision = "0001"


def upgrade() -> None:
    op.create_table("later", sa.Column("id", sa.Integer, primary_key=True))


def downgrade() -> None:
    op.drop_table("later")
'''


@pytest.fixture
def two_revisions(tmp_path: Path) -> Path:
    """The sample history with a second revision on top: a build newer than 0001."""
    return sample_history_with(tmp_path, "0002_later.py", SECOND)


@pytest.fixture
async def service_engine(service_database: ServiceDatabase) -> AsyncIterator[AsyncEngine]:
    engine = create_async_engine(service_database.service_url)
    yield engine
    await engine.dispose()


async def still_waiting(task: asyncio.Task[object]) -> bool:
    await asyncio.sleep(POLL * 10)
    return not task.done()


async def test_a_never_migrated_database_is_waited_for_until_the_migration_job_ran(
    service_database: ServiceDatabase, service_engine: AsyncEngine
) -> None:
    waiting = asyncio.create_task(wait_for_schema(MIGRATIONS, service_engine, poll_seconds=POLL))
    assert await still_waiting(waiting)

    await migrate_async(MIGRATIONS, service_database.settings())

    state = await asyncio.wait_for(waiting, timeout=10)
    assert state.database == state.heads == {"0001"}


async def test_a_schema_behind_this_build_is_waited_for(
    service_database: ServiceDatabase, service_engine: AsyncEngine, two_revisions: Path
) -> None:
    settings = service_database.settings()
    await upgrade_async(
        two_revisions, settings.owner_url(), "0001", service_role=settings.service_role()
    )
    waiting = asyncio.create_task(wait_for_schema(two_revisions, service_engine, poll_seconds=POLL))
    assert await still_waiting(waiting)

    await migrate_async(two_revisions, settings)

    state = await asyncio.wait_for(waiting, timeout=10)
    assert state.database == {"0002"}


async def test_a_schema_newer_than_this_build_lets_the_older_code_start(
    service_database: ServiceDatabase, service_engine: AsyncEngine, two_revisions: Path
) -> None:
    await migrate_async(two_revisions, service_database.settings())

    state = await asyncio.wait_for(
        wait_for_schema(MIGRATIONS, service_engine, poll_seconds=POLL), timeout=30
    )

    assert state.unknown == {"0002"}


async def test_an_unreachable_database_is_waited_for_like_a_missing_schema() -> None:
    engine = create_async_engine("postgresql+asyncpg://nobody:x@127.0.0.1:9/none")
    try:
        waiting = asyncio.create_task(wait_for_schema(MIGRATIONS, engine, poll_seconds=POLL))
        assert await still_waiting(waiting)
        waiting.cancel()
    finally:
        await engine.dispose()


async def test_the_service_role_reads_the_revision_and_cannot_change_it(
    service_database: ServiceDatabase,
) -> None:
    await migrate_async(MIGRATIONS, service_database.settings())

    assert (await granted(service_database))["alembic_version"] == READ
    for statement in (
        "UPDATE alembic_version SET version_num = 'forged'",
        "DELETE FROM alembic_version",
        "INSERT INTO alembic_version VALUES ('forged')",
    ):
        assert await refused(service_database.service_url, statement), statement
