"""A withdrawn request is honoured up to the moment of sending, decided in the database: the
sender's claim skips it, and a withdrawal racing a send in flight changes nothing sent."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

from careflow.contracts.notifications import NotificationRequested
from careflow.contracts.registry import TOPICS
from careflow.contracts.reminders import NotificationWithdrawn
from careflow.notification.adapters.tables import (
    deliveries,
    delivery_steps,
    notification_withdrawals,
)
from careflow.notification.adapters.unit_of_work import NotificationUnitOfWork


def reminder(resident_id: uuid.UUID, not_before: datetime | None = None) -> NotificationRequested:
    return NotificationRequested(
        notification_id=uuid.uuid4(),
        requested_by="reminders",
        requested_at=datetime.now(UTC),
        resident_id=resident_id,
        purpose="appointment_reminder",
        channels=["email"],
        link_target="reminders",
        not_before=not_before,
    )


def withdrawal(request: NotificationRequested) -> NotificationWithdrawn:
    return NotificationWithdrawn(
        notification_id=request.notification_id,
        reason="appointment_cancelled",
        withdrawn_at=datetime.now(UTC),
    )


async def test_the_claim_skips_a_withdrawn_request_and_its_history_says_why(start_service):
    async with start_service(enabled=False) as service:  # no sender: the test claims
        resident_id = await service.resident(f"sub-{uuid.uuid4()}")
        request = reminder(resident_id)
        (request_event,) = await service.publish(request)
        await service.wait_for_inbox(request_event)
        (withdrawn_event,) = await service.publish(withdrawal(request))
        await service.wait_for_inbox(withdrawn_event)
        # A withdrawal committed in the instant before the claim, its deliveries still open:
        # the claim's own statement must skip them.
        racing = reminder(resident_id)
        (racing_event,) = await service.publish(racing)
        await service.wait_for_inbox(racing_event)

        engine = create_async_engine(service.db_url)
        try:
            async with engine.begin() as conn:
                await conn.execute(
                    insert(notification_withdrawals).values(
                        notification_id=racing.notification_id,
                        reason="appointment_moved",
                        withdrawn_at=datetime.now(UTC),
                    )
                )
            uow = NotificationUnitOfWork(
                async_sessionmaker(engine, expire_on_commit=False),
                source="t",
                topics=TOPICS,
                events_committed=None,  # writes no events
            )
            async with uow:
                claimed = await uow.deliveries.claim_due(
                    "email", datetime.now(UTC) + timedelta(days=1), 1000
                )
            claimed_ids = {d.notification_id for d in claimed}
            assert request.notification_id not in claimed_ids
            assert racing.notification_id not in claimed_ids
        finally:
            await engine.dispose()
        (withdrawn_row,) = await service.sql(
            select(deliveries.c.status, deliveries.c.reason).where(
                deliveries.c.notification_id == request.notification_id
            )
        )
        assert tuple(withdrawn_row) == ("suppressed", "withdrawn")


async def test_a_withdrawal_racing_a_send_in_flight_waits_and_leaves_it_sent(start_service):
    async with start_service(enabled=False) as service:
        resident_id = await service.resident(f"sub-{uuid.uuid4()}")
        request = reminder(resident_id)
        (request_event,) = await service.publish(request)
        await service.wait_for_inbox(request_event)

        engine = create_async_engine(service.db_url)
        sessions = async_sessionmaker(engine, expire_on_commit=False)
        try:
            sender = NotificationUnitOfWork(
                sessions, source="t", topics=TOPICS, events_committed=None
            )
            async with sender:
                (claimed,) = [
                    d
                    for d in await sender.deliveries.claim_due("email", datetime.now(UTC), 1000)
                    if d.notification_id == request.notification_id
                ]
                # The message is at the SMTP server now; the withdrawal arrives meanwhile.
                (withdrawn_event,) = await service.publish(withdrawal(request))
                claimed.mark_sent(datetime.now(UTC), "smtp-250")
                await sender.deliveries.save_outcomes([claimed], datetime.now(UTC))
                await sender.commit()
            await service.wait_for_inbox(withdrawn_event)
            async with engine.connect() as conn:
                (row,) = await conn.execute(
                    select(deliveries.c.status).where(
                        deliveries.c.notification_id == request.notification_id
                    )
                )
                steps = [
                    s.status
                    for s in await conn.execute(
                        select(delivery_steps.c.status)
                        .where(delivery_steps.c.delivery_id == claimed.delivery_id)
                        .order_by(delivery_steps.c.id)
                    )
                ]
        finally:
            await engine.dispose()
        assert row.status == "sent"  # it went out before the withdrawal: said so, not hidden
        assert steps == ["queued", "sent"]
