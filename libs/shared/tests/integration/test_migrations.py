"""A service's Alembic history creates the platform tables, and runs once under concurrency."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from careflow.shared.db.migrate import alembic_config, upgrade_async
from careflow.shared.outbox.tables import NOTIFY_CHANNEL

MIGRATIONS = Path(__file__).parent / "sample_migrations"


def _dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


async def test_upgrade_creates_outbox_inbox_and_notify_trigger(fresh_database: str):
    await upgrade_async(MIGRATIONS, fresh_database)
    conn = await asyncpg.connect(_dsn(fresh_database))
    try:
        tables = {
            r["tablename"]
            for r in await conn.fetch("SELECT tablename FROM pg_tables WHERE schemaname='public'")
        }
        assert {"outbox", "inbox", "alembic_version"} <= tables
        notified: asyncio.Queue[str] = asyncio.Queue()
        await conn.add_listener(NOTIFY_CHANNEL, lambda *args: notified.put_nowait(args[2]))
        writer = await asyncpg.connect(_dsn(fresh_database))
        try:
            await writer.execute(
                "INSERT INTO outbox (event_id, topic, key, shard, event_type, source, payload,"
                " occurred_at) VALUES (gen_random_uuid(), 't', 'k', 0, 'x', 's', '{}', now())"
            )
        finally:
            await writer.close()
        # A hang guard, not a speed check: PostgreSQL on a loaded CI machine may take
        # seconds to commit; a missing trigger never notifies at all.
        assert await asyncio.wait_for(notified.get(), 30) == NOTIFY_CHANNEL
    finally:
        await conn.close()


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
