"""The outcome an email handover waits on: one statement that commits by itself."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from careflow.notification.adapters.repository import SqlDeliveries
from careflow.notification.adapters.tables import deliveries, delivery_steps
from careflow.notification.bootstrap import MIGRATIONS
from careflow.notification.domain.delivery import Delivery, RetryPolicy
from careflow.shared.db.migrate import migrate_async
from careflow.testing.servers import ServiceDatabase


async def test_an_outcome_saved_alone_is_committed_with_its_steps_in_order(
    service_database: ServiceDatabase,
) -> None:
    await migrate_async(MIGRATIONS, service_database.settings())
    engine = create_async_engine(service_database.service_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    now = datetime(2026, 12, 4, 15, 0, tzinfo=UTC)
    queued = Delivery.queue(
        delivery_id=uuid.uuid4(),
        notification_id=uuid.uuid4(),
        channel="email",
        created_at=now,
        resident_id=uuid.uuid4(),
        body="Hei",
    )
    try:
        async with sessions() as session:
            await SqlDeliveries(session).add(queued)
            await session.commit()
        async with sessions() as session:
            [claimed] = await SqlDeliveries(session).claim_due("email", now, 1)
            await session.commit()
        claimed.retry_later("smtp_451", now + timedelta(seconds=1), RetryPolicy())
        claimed.mark_sent(now + timedelta(seconds=2), "<ref@careflow.local>")
        async with sessions() as session:
            await SqlDeliveries(session).save_outcomes([claimed], now, alone=True)
            await session.rollback()  # nothing left to undo: the statement committed itself

        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(deliveries).where(deliveries.c.delivery_id == claimed.delivery_id)
                )
            ).one()
            steps = (
                await conn.execute(
                    select(delivery_steps.c.status, delivery_steps.c.code)
                    .where(delivery_steps.c.delivery_id == claimed.delivery_id)
                    .order_by(delivery_steps.c.id)
                )
            ).all()
    finally:
        await engine.dispose()
    assert (row.status, row.attempts, row.provider_ref) == ("sent", 2, "<ref@careflow.local>")
    assert row.next_attempt_at is None
    assert row.sent_at == now + timedelta(seconds=2)
    assert [tuple(s) for s in steps] == [
        ("queued", None),
        ("retrying", "smtp_451"),
        ("sent", None),
    ]
