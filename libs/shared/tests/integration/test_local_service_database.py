"""`make run` gives each service a database owned by `<name>_owner` and used by `<name>`,
and hands a database an earlier single-role run made over to the owner."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import pytest

from careflow.local.postgres import EmbeddedPostgres
from careflow.shared.db.migrate import migrate_async
from careflow.shared.settings import DatabaseSettings
from careflow.testing.privileges import PLATFORM, WRITE, granted
from careflow.testing.servers import ServiceDatabase

MIGRATIONS = Path(__file__).parent / "sample_migrations"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedPostgres]:
    pg = EmbeddedPostgres(tmp_path_factory.mktemp("local-pg") / "data")
    pg.start()
    yield pg
    pg.stop()


async def test_an_earlier_single_role_database_goes_to_the_owner_and_the_service_is_granted(
    server: EmbeddedPostgres,
) -> None:
    server.create_database("legacy")  # what `make run` did before there were two roles
    server.psql(
        "CREATE TABLE kept (id int GENERATED ALWAYS AS IDENTITY, value text);"
        " CREATE FUNCTION kept_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM kept'",
        database="legacy",
    )

    await asyncio.to_thread(server.create_service_database, "legacy")
    roles = await asyncio.to_thread(server.create_service_database, "legacy")  # idempotent
    await migrate_async(
        MIGRATIONS, DatabaseSettings(url=roles.service_url, migration_url=roles.owner_url)
    )

    owners = server.psql(
        "SELECT DISTINCT pg_get_userbyid(relowner) FROM pg_class"
        " WHERE relnamespace = 'public'::regnamespace"
        " UNION SELECT pg_get_userbyid(proowner) FROM pg_proc"
        " WHERE pronamespace = 'public'::regnamespace",
        database="legacy",
    )
    assert owners.split() == ["legacy_owner"]
    db = ServiceDatabase(roles.owner_url, roles.service_url)
    assert db.service_role == "legacy"
    assert await granted(db) == {"kept": WRITE} | PLATFORM
    conn = await asyncpg.connect(roles.service_url.replace("+asyncpg", ""))
    try:
        await conn.execute("INSERT INTO kept (value) VALUES ('still usable')")
        assert await conn.fetchval("SELECT kept_count()") == 1
    finally:
        await conn.close()
