"""Running a service's Alembic history: at start-up and from the command line.

Each service keeps its own `migrations/` folder; its `env.py` is two lines that
call `run_env(metadata)`. Migrations run through a synchronous-looking Alembic
API in a worker thread so start-up code inside an event loop can await them.
With a migration URL (the owner role) and a service role, every run ends by
granting the service role its privileges (see privileges.py).
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.ext.asyncio import async_engine_from_config

from careflow.shared.db.privileges import append_only_tables, grant_service_role
from careflow.shared.settings import DatabaseSettings

MIGRATION_LOCK = 0x0CF1  # advisory-lock key held while a process migrates
# Config attribute: the role the service connects as, granted to after upgrading.
SERVICE_ROLE = "careflow.service_role"


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option(
        "file_template", "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    return config


def upgrade(
    script_location: Path, url: str, revision: str = "head", *, service_role: str | None = None
) -> None:
    """Upgrade as the role in `url`; then grant `service_role` its privileges, if given."""
    config = alembic_config(script_location, url)
    config.attributes[SERVICE_ROLE] = service_role
    command.upgrade(config, revision)


# Alembic's `context` is process-global: one migration at a time per process.
_one_at_a_time = threading.Lock()


def _upgrade_serialised(
    script_location: Path, url: str, revision: str, service_role: str | None
) -> None:
    with _one_at_a_time:
        upgrade(script_location, url, revision, service_role=service_role)


async def upgrade_async(
    script_location: Path, url: str, revision: str = "head", *, service_role: str | None = None
) -> None:
    await asyncio.to_thread(_upgrade_serialised, script_location, url, revision, service_role)


def migrate(script_location: Path, database: DatabaseSettings) -> None:
    """A service's migrations as its settings say: owner URL, then grants to its role."""
    upgrade(script_location, database.owner_url(), service_role=database.service_role())


async def migrate_async(script_location: Path, database: DatabaseSettings) -> None:
    await upgrade_async(script_location, database.owner_url(), service_role=database.service_role())


def run_env(target_metadata: MetaData) -> None:
    """Body of every service's migrations/env.py (online mode, asyncpg)."""
    from alembic import context

    config = context.config

    def do_run(connection) -> None:  # type: ignore[no-untyped-def]
        # Replicas starting together would race through the same history; a
        # session advisory lock lets one migrate while the others wait.
        connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.commit()
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                compare_type=True,
                transaction_per_migration=True,
            )
            with context.begin_transaction():
                context.run_migrations()
            service_role = config.attributes.get(SERVICE_ROLE)
            if service_role:
                grant_service_role(connection, service_role, append_only_tables(target_metadata))
                connection.commit()
        finally:
            connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": MIGRATION_LOCK})
            connection.commit()

    async def run_async() -> None:
        engine = async_engine_from_config(
            config.get_section(config.config_ini_section) or {},
            prefix="sqlalchemy.",
            poolclass=pool.NullPool,
            # A failing data migration must not log the rows it was moving.
            hide_parameters=True,
        )
        async with engine.connect() as connection:
            await connection.run_sync(do_run)
        await engine.dispose()

    if context.is_offline_mode():
        context.configure(
            url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata
        )
        with context.begin_transaction():
            context.run_migrations()
    else:
        asyncio.run(run_async())
