"""The migration runner grants the service role its privileges, and refuses a role that
grants cannot bind (a superuser, or a member of the owner role)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from fastapi import FastAPI
from sqlalchemy.engine import make_url

from careflow.shared.db.migrate import migrate_async
from careflow.shared.db.privileges import UnsafeServiceRole
from careflow.shared.service.main import run
from careflow.shared.settings import DatabaseSettings, ServiceSettings
from careflow.testing.privileges import WRITE, granted
from careflow.testing.servers import PostgresForTests, ServiceDatabase

MIGRATIONS = Path(__file__).parent / "sample_migrations"


async def test_the_migrate_command_runs_as_the_owner_and_grants_to_the_service_role(
    service_database: ServiceDatabase,
) -> None:
    def no_app(settings: ServiceSettings) -> FastAPI:
        raise AssertionError("migrate serves nothing")

    code = await asyncio.to_thread(
        run,
        "probe",
        lambda: ServiceSettings(database=service_database.settings()),
        no_app,
        MIGRATIONS,
        argv=["migrate"],
    )

    assert code == 0
    assert await granted(service_database) == {"outbox": WRITE, "inbox": WRITE}


async def test_a_superuser_service_role_is_refused(
    service_database: ServiceDatabase, postgres: PostgresForTests
) -> None:
    superuser = postgres.url_for(make_url(service_database.owner_url).database or "")
    settings = DatabaseSettings(url=superuser, migration_url=service_database.owner_url)

    with pytest.raises(UnsafeServiceRole, match="superuser"):
        await migrate_async(MIGRATIONS, settings)


async def test_a_service_role_with_the_owners_rights_is_refused(
    service_database: ServiceDatabase, postgres: PostgresForTests
) -> None:
    owner = make_url(service_database.owner_url).username
    conn = await asyncpg.connect(postgres.admin_url)
    try:
        await conn.execute(f'GRANT "{owner}" TO "{service_database.service_role}"')
    finally:
        await conn.close()

    with pytest.raises(UnsafeServiceRole, match="owner's rights"):
        await migrate_async(MIGRATIONS, service_database.settings())
    assert await granted(service_database) == {}
