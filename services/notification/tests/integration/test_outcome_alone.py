"""The outcome an email handover waits on: one statement that commits by itself, through
the repository's unit of work or on the handover line's own connection."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from careflow.notification.adapters.outcome_log import DriverOutcomeLog
from careflow.notification.adapters.repository import SqlDeliveries
from careflow.notification.adapters.tables import deliveries, delivery_steps
from careflow.notification.bootstrap import MIGRATIONS
from careflow.notification.domain.delivery import Delivery, RetryPolicy
from careflow.shared.db.engine import asyncpg_dsn
from careflow.shared.db.migrate import migrate_async
from careflow.testing.servers import ServiceDatabase

NOW = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)


@pytest.fixture
async def engine(service_database: ServiceDatabase) -> AsyncIterator[AsyncEngine]:
    await migrate_async(MIGRATIONS, service_database.settings())
    engine = create_async_engine(service_database.service_url)
    yield engine
    await engine.dispose()


async def sent_after_a_retry(engine: AsyncEngine, count: int = 1) -> list[Delivery]:
    """Deliveries queued, claimed, refused once (451) and then sent: three steps each."""
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    queued = [
        Delivery.queue(
            delivery_id=uuid.uuid4(),
            notification_id=uuid.uuid4(),
            channel="email",
            created_at=NOW,
            resident_id=uuid.uuid4(),
            body="Hei",
        )
        for _ in range(count)
    ]
    async with sessions() as session:
        await SqlDeliveries(session).add_all(queued)
        await session.commit()
    async with sessions() as session:
        claimed = await SqlDeliveries(session).claim_due("email", NOW, count)
        await session.commit()
    assert len(claimed) == count
    for delivery in claimed:
        delivery.retry_later("smtp_451", NOW + timedelta(seconds=1), RetryPolicy())
        delivery.mark_sent(NOW + timedelta(seconds=2), "<ref@careflow.local>")
    return claimed


async def stored(engine: AsyncEngine, delivery_id: uuid.UUID) -> tuple[Any, list[tuple[Any, ...]]]:
    async with engine.connect() as conn:
        row = (
            await conn.execute(select(deliveries).where(deliveries.c.delivery_id == delivery_id))
        ).one()
        steps = (
            await conn.execute(
                select(delivery_steps.c.status, delivery_steps.c.code)
                .where(delivery_steps.c.delivery_id == delivery_id)
                .order_by(delivery_steps.c.id)
            )
        ).all()
    return row, [tuple(s) for s in steps]


def assert_sent_with_its_steps(row: Any, steps: list[tuple[Any, ...]]) -> None:
    assert (row.status, row.attempts, row.provider_ref) == ("sent", 2, "<ref@careflow.local>")
    assert row.next_attempt_at is None
    assert row.sent_at == NOW + timedelta(seconds=2)
    assert steps == [("queued", None), ("retrying", "smtp_451"), ("sent", None)]


async def test_an_outcome_saved_alone_is_committed_with_its_steps_in_order(
    engine: AsyncEngine,
) -> None:
    [claimed] = await sent_after_a_retry(engine)
    async with async_sessionmaker(engine)() as session:
        await SqlDeliveries(session).save_outcomes([claimed], NOW, alone=True)
        await session.rollback()  # nothing left to undo: the statement committed itself
    assert_sent_with_its_steps(*await stored(engine, claimed.delivery_id))


async def test_the_outcome_log_commits_on_its_own_connection_and_reconnects(
    engine: AsyncEngine, service_database: ServiceDatabase
) -> None:
    """The senders' outcomes: the same statement on the log's own pool; a connection the
    server dropped fails at most one record (the caller retries) and is replaced."""
    first, second = await sent_after_a_retry(engine, 2)
    log = DriverOutcomeLog(
        asyncpg_dsn(service_database.service_url), connections=1, application_name="t-log"
    )
    try:
        await log.record(first, NOW)
        async with engine.connect() as conn:
            killed = (
                await conn.execute(
                    text(
                        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                        "WHERE application_name = 't-log'"
                    )
                )
            ).scalar_one()
        assert killed == 1
        # Whether the pool sees the server's goodbye before the next record or only
        # during it depends on timing: that record may fail, once, as the sender's retry
        # expects; the one after it runs on a new connection.
        failures = 0
        while True:
            try:
                await log.record(second, NOW)
                break
            except Exception:
                failures += 1
                assert failures == 1
    finally:
        await log.close()
    assert_sent_with_its_steps(*await stored(engine, first.delivery_id))
    assert_sent_with_its_steps(*await stored(engine, second.delivery_id))
