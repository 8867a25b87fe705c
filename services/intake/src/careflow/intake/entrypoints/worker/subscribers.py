"""Envelope → inbox → use case. The consumer owns the transaction and the commit."""

from __future__ import annotations

from collections.abc import Callable

from careflow.contracts.bookings import BookingCancelled, BookingConfirmed
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import BOOKINGS_APPOINTMENTS, WORKQUEUE_ITEMS
from careflow.contracts.workqueue import QueueItemTaken, QueueItemTransferred
from careflow.intake.adapters.unit_of_work import IntakeUnitOfWork
from careflow.intake.application.on_booking_events import (
    on_booking_cancelled,
    on_booking_confirmed,
)
from careflow.intake.application.on_queue_events import (
    on_queue_item_taken,
    on_queue_item_transferred,
)
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.service.runtime import ServiceRuntime


def consumers(
    runtime: ServiceRuntime, uow: Callable[[], IntakeUnitOfWork]
) -> list[EventConsumer[IntakeUnitOfWork]]:
    queue = EventConsumer(
        WORKQUEUE_ITEMS,
        group=runtime.settings.consumer_group,  # type: ignore[attr-defined]
        uow_factory=uow,
        producer=runtime.producer,
        settings=runtime.settings.consumer,
    )

    @queue.on(QueueItemTaken)
    async def taken(event: QueueItemTaken, _: Envelope, uow: IntakeUnitOfWork) -> None:
        await on_queue_item_taken(event, uow)

    @queue.on(QueueItemTransferred)
    async def transferred(event: QueueItemTransferred, _: Envelope, uow: IntakeUnitOfWork) -> None:
        await on_queue_item_transferred(event, uow)

    bookings = EventConsumer(
        BOOKINGS_APPOINTMENTS,
        group=runtime.settings.consumer_group,  # type: ignore[attr-defined]
        uow_factory=uow,
        producer=runtime.producer,
        settings=runtime.settings.consumer,
    )

    @bookings.on(BookingConfirmed)
    async def confirmed(event: BookingConfirmed, _: Envelope, uow: IntakeUnitOfWork) -> None:
        await on_booking_confirmed(event, uow)

    @bookings.on(BookingCancelled)
    async def cancelled(event: BookingCancelled, _: Envelope, uow: IntakeUnitOfWork) -> None:
        await on_booking_cancelled(event, uow)

    return [queue, bookings]
