"""listen_forever against real PostgreSQL: NOTIFYs arrive, and listening resumes after the
server drops the connection."""

from __future__ import annotations

import asyncio

import asyncpg
from sqlalchemy.engine import make_url

from careflow.shared.db.engine import asyncpg_dsn
from careflow.shared.db.listening import listen_forever


async def test_notifies_arrive_and_listening_resumes_after_the_connection_is_killed(
    fresh_database: str,
):
    dsn = asyncpg_dsn(make_url(fresh_database))
    payloads: asyncio.Queue[str] = asyncio.Queue()
    listening = asyncio.Queue[None]()
    task = asyncio.create_task(
        listen_forever(
            dsn,
            "careflow_test",
            payloads.put_nowait,
            on_listening=lambda: listening.put_nowait(None),
            retry_seconds=0.05,
        )
    )
    admin = await asyncpg.connect(dsn)
    try:
        async with asyncio.timeout(10):
            await listening.get()
            await admin.execute("NOTIFY careflow_test, 'one'")
            assert await payloads.get() == "one"
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
            )
            await listening.get()  # reconnected and listening again
            await admin.execute("NOTIFY careflow_test, 'two'")
            assert await payloads.get() == "two"
    finally:
        task.cancel()
        await admin.close()
