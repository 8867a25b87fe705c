"""A service's Alembic history creates the platform tables, and runs once under concurrency."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg
import pytest
from alembic import command
from sqlalchemy.engine import make_url

from careflow.shared.db.migrate import alembic_config, upgrade_async
from careflow.shared.outbox.tables import NOTIFY_CHANNEL

from .sample_history import MIGRATIONS, sample_history_with


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


WAKE_MIGRATION = '''"""as every service's migration after its platform tables"""
from careflow.shared.outbox.wake_migration import downgrade, upgrade

revision = "0002"
down_revision = "0001"
'''


@pytest.fixture
def with_wake_migration(tmp_path: Path) -> Path:
    return sample_history_with(tmp_path, "0002_wake.py", WAKE_MIGRATION)


async def _outbox_triggers(url: str) -> list[str]:
    conn = await asyncpg.connect(_dsn(url))
    try:
        rows = await conn.fetch(
            "SELECT tgname FROM pg_trigger WHERE tgrelid = 'outbox'::regclass AND NOT tgisinternal"
        )
        return [r["tgname"] for r in rows]
    finally:
        await conn.close()


async def test_upgrade_creates_outbox_and_inbox(fresh_database: str):
    await upgrade_async(MIGRATIONS, fresh_database)
    conn = await asyncpg.connect(_dsn(fresh_database))
    try:
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        assert {"outbox", "inbox", "alembic_version"} <= tables
    finally:
        await conn.close()


async def test_the_wake_migration_drops_the_notify_trigger_and_its_downgrade_restores_it(
    fresh_database: str, with_wake_migration: Path
):
    await upgrade_async(with_wake_migration, fresh_database, "0001")
    assert await _outbox_triggers(fresh_database) == ["outbox_notify"]
    await upgrade_async(with_wake_migration, fresh_database)
    # A notifying commit waits for every other one on the server (relay docstring).
    assert await _outbox_triggers(fresh_database) == []
    conn = await asyncpg.connect(_dsn(fresh_database))
    try:
        notified: asyncio.Queue[str] = asyncio.Queue()
        await conn.add_listener(NOTIFY_CHANNEL, lambda *args: notified.put_nowait(args[2]))
        await conn.execute(
            "INSERT INTO outbox (event_id, topic, key, shard, event_type, source, payload,"
            " occurred_at) VALUES (gen_random_uuid(), 't', 'k', 0, 'x', 's', '{}', now())"
        )
        await asyncio.sleep(0.5)
        assert notified.empty()
    finally:
        await conn.close()
    config = alembic_config(with_wake_migration, fresh_database)
    await asyncio.to_thread(command.downgrade, config, "0001")
    assert await _outbox_triggers(fresh_database) == ["outbox_notify"]


async def test_concurrent_upgrades_of_replicas_all_succeed(fresh_database: str):
    code = (
        "import sys; from careflow.shared.db.migrate import upgrade; "
        "upgrade(sys.argv[1], sys.argv[2])"
    )
    replicas = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            "-c",
            code,
            str(MIGRATIONS),
            fresh_database,
            stderr=asyncio.subprocess.PIPE,
        )
        for _ in range(3)
    ]
    results = await asyncio.gather(*(r.communicate() for r in replicas))
    assert [r.returncode for r in replicas] == [0, 0, 0], [err for _out, err in results]
    conn = await asyncpg.connect(_dsn(fresh_database))
    try:
        assert await conn.fetchval("SELECT version_num FROM alembic_version") == "0001"
    finally:
        await conn.close()


async def test_downgrade_removes_the_platform_tables(fresh_database: str):
    from alembic import command

    await upgrade_async(MIGRATIONS, fresh_database)
    await asyncio.to_thread(command.downgrade, alembic_config(MIGRATIONS, fresh_database), "base")
    conn = await asyncpg.connect(_dsn(fresh_database))
    try:
        assert await conn.fetchval("SELECT to_regclass('public.outbox')") is None
        assert await conn.fetchval("SELECT to_regclass('public.inbox')") is None
    finally:
        await conn.close()
