"""The default pool keeps a connection for every request admission lets run at once:
a second burst as large as admission allows opens no connection (before, the pool kept
20 and a burst of 32 opened and closed 12 connections every time)."""

from __future__ import annotations

import asyncio

from sqlalchemy import event, text

from careflow.shared.db.engine import create_engine
from careflow.shared.settings import AdmissionLimits, DatabaseSettings


async def test_a_second_burst_of_admitted_requests_opens_no_connection(
    fresh_database: str,
) -> None:
    engine = create_engine(DatabaseSettings(url=fresh_database))
    opened = 0

    @event.listens_for(engine.sync_engine, "connect")
    def _count(*_args: object) -> None:
        nonlocal opened
        opened += 1

    burst = AdmissionLimits().max_in_flight
    all_in = asyncio.Barrier(burst)

    async def request() -> None:
        async with engine.begin() as conn:
            await conn.execute(text("SELECT 1"))
            await all_in.wait()  # every request holds its connection at once

    try:
        await asyncio.gather(*(request() for _ in range(burst)))
        assert opened == burst
        all_in = asyncio.Barrier(burst)
        await asyncio.gather(*(request() for _ in range(burst)))
        assert opened == burst, f"the second burst opened {opened - burst} connections"
    finally:
        await engine.dispose()
