"""The migration runner grants the service role its privileges, and refuses a role that
grants cannot bind (a superuser, or a member of the owner role)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import asyncpg
import pytest
from fastapi import FastAPI
from pydantic import SecretStr
from sqlalchemy.engine import make_url

from careflow.shared.db.migrate import migrate_async
from careflow.shared.db.privileges import UnsafeServiceRole
from careflow.shared.service.main import run
from careflow.shared.settings import DatabaseSettings, ServiceSettings, service_config
from careflow.testing.privileges import PLATFORM, granted
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
    assert await granted(service_database) == PLATFORM


async def test_the_migrate_command_of_a_deployed_image_reads_only_the_database_settings(
    service_database: ServiceDatabase, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The Kubernetes migration Job: environment, the two URLs (one from a secret file)
    # and none of the service's other secrets, which its Settings would require.
    class Settings(ServiceSettings):
        model_config = service_config("PROBE_")
        signing_key: SecretStr

    def no_app(settings: ServiceSettings) -> FastAPI:
        raise AssertionError("migrate serves nothing")

    owner = tmp_path / "owner-url"
    owner.write_text(service_database.owner_url + "\n", encoding="utf-8")
    monkeypatch.setenv("CAREFLOW_SERVICE", "probe")
    monkeypatch.setenv("PROBE_ENVIRONMENT", "prod")
    monkeypatch.setenv("PROBE_DATABASE__URL", service_database.service_url)
    monkeypatch.setenv("PROBE_DATABASE__MIGRATION_URL_FILE", str(owner))

    code = await asyncio.to_thread(run, "probe", Settings, no_app, MIGRATIONS, argv=["migrate"])

    assert code == 0
    assert await granted(service_database) == PLATFORM


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
