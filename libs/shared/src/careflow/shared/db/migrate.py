"""Running a service's Alembic history: at start-up and from the command line.

Each service keeps its own `migrations/` folder; its `env.py` is two lines that
call `run_env(metadata)`. Migrations run through a synchronous-looking Alembic
API in a worker thread so start-up code inside an event loop can await them.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import MetaData, pool, text
from sqlalchemy.ext.asyncio import async_engine_from_config

MIGRATION_LOCK = 0x0CF1  # advisory-lock key held while a process migrates


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option(
        "file_template", "%%(year)d-%%(month).2d-%%(day).2d-%%(hour).2d%%(minute).2d_%%(slug)s"
    )
    return config


def upgrade(script_location: Path, url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(script_location, url), revision)


# Alembic's `context` is process-global: one migration at a time per process.
_one_at_a_time = threading.Lock()


def _upgrade_serialised(script_location: Path, url: str, revision: str) -> None:
    with _one_at_a_time:
        upgrade(script_location, url, revision)


async def upgrade_async(script_location: Path, url: str, revision: str = "head") -> None:
    await asyncio.to_thread(_upgrade_serialised, script_location, url, revision)


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
