"""The relay's claim reads what is unpublished, not all that was published since the
last VACUUM: a published row leaves a dead entry in the pending index until VACUUM."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from careflow.shared.db.driver import driver_transaction
from careflow.shared.outbox.relay import BEGIN_CLAIMING, OutboxRelay
from careflow.shared.settings import RelaySettings

PUBLISHED, PENDING = 20_000, 10

_ROWS = """
INSERT INTO outbox (event_id, topic, key, shard, event_type, source, payload, occurred_at,
                    published_at)
SELECT gen_random_uuid(), 'platform.probes.v1', md5(i::text), i % 16, 'probe', '/test',
       '{{}}', now(), {published}
FROM generate_series(1, {count}) AS i
"""


async def test_a_pass_does_not_read_the_rows_published_before_it(probe_db: str):
    # A new backend per transaction: a backend's per-table counts of its earlier
    # transactions (the writes below) are not flushed at once and would be counted too.
    engine = create_async_engine(probe_db, poolclass=NullPool)
    relay = OutboxRelay(engine, producer=None, settings=RelaySettings(), service="test")  # type: ignore[arg-type]
    try:
        async with engine.begin() as conn:
            # A busy outbox as autovacuum's ANALYZE last saw it: nearly all published.
            await conn.execute(text(_ROWS.format(published="now()", count=PUBLISHED)))
            await conn.execute(text(_ROWS.format(published="NULL", count=PENDING)))
        async with engine.connect() as conn:
            await conn.execute(text("ANALYZE outbox"))
            await conn.commit()
        async with engine.begin() as conn:
            # Then as many written and published by the relay (an UPDATE) since: VACUUM
            # has not run, so their entries are still in the pending index.
            await conn.execute(
                text("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
            )
            await conn.execute(text(_ROWS.format(published="NULL", count=PUBLISHED)))
            await conn.execute(
                text("UPDATE outbox SET published_at = now() WHERE published_at IS NULL")
            )
            await conn.execute(text(_ROWS.format(published="NULL", count=PENDING)))
        blocks = []
        for _ in range(2):  # the first pass may pay once for the dead entries; no later one
            async with driver_transaction(engine, begin=BEGIN_CLAIMING) as conn:
                claimed = await relay.claim(conn)
                blocks.append(
                    await conn.fetchval(
                        "SELECT pg_stat_get_xact_blocks_fetched('outbox'::regclass)"
                    )
                )
            assert len(claimed) == PENDING
        # A pass that fetches the published rows' tuples through their dead index entries
        # (a bitmap scan) reads some 6,500 blocks here, every time; one that marks the
        # entries dead as it passes them reads them once.
        assert blocks[1] < 50, blocks
    finally:
        await engine.dispose()
