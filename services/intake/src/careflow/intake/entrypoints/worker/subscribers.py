"""Envelope → inbox → use case. The consumer owns the transaction and the commit."""

from __future__ import annotations

from careflow.contracts.bookings import BookingCancelled, BookingConfirmed
from careflow.contracts.chats import ChatCaseRequested
from careflow.contracts.envelope import Envelope
from careflow.contracts.messages import MessageSent
from careflow.contracts.registry import (
    BOOKINGS_APPOINTMENTS,
    MESSAGING_CHATS,
    MESSAGING_MESSAGES,
    WORKQUEUE_ITEMS,
)
from careflow.contracts.workqueue import QueueItemTaken, QueueItemTransferred
from careflow.intake.adapters.unit_of_work import IntakeUnitOfWork
from careflow.intake.application.create_case import create_case_for_chat
from careflow.intake.application.on_booking_events import (
    on_booking_cancelled,
    on_booking_confirmed,
)
from careflow.intake.application.on_message_events import on_message_sent
from careflow.intake.application.on_queue_events import (
    ParkingSpot,
    on_queue_item_taken,
    on_queue_item_transferred,
)
from careflow.intake.bootstrap import Container
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.service.runtime import ConsumerFactory, ServiceRuntime


def consumers(container: Container) -> ConsumerFactory:
    """The consumers a process runs (none with `consumers_enabled` off: an HTTP-only process)."""

    def factory(runtime: ServiceRuntime) -> list[EventConsumer[IntakeUnitOfWork]]:
        if not container.settings.consumers_enabled:
            return []
        return _consumers(container, runtime)

    return factory  # type: ignore[return-value]


def _consumers(
    container: Container, runtime: ServiceRuntime
) -> list[EventConsumer[IntakeUnitOfWork]]:
    settings = container.settings
    group = settings.consumer_group
    # The queue's item events come with every case; bookings, messages and chats are
    # fetched with the quiet wait (ConsumerSettings.quiet): no one waits on them in
    # fractions of a second, and each member's fetches cost CPU whatever they carry.
    queue = EventConsumer(
        WORKQUEUE_ITEMS,
        group=group,
        uow_factory=container.uow,
        producer=runtime.producer,
        settings=settings.consumer,
    )
    parking = ParkingSpot(
        topic=WORKQUEUE_ITEMS.name,
        consumer=group,
        clock=container.clock,
        metrics=container.intake.parking_metrics,
    )

    @queue.on(QueueItemTaken)
    async def taken(event: QueueItemTaken, envelope: Envelope, uow: IntakeUnitOfWork) -> None:
        await on_queue_item_taken(event, envelope, uow, parking=parking)

    @queue.on(QueueItemTransferred)
    async def transferred(
        event: QueueItemTransferred, envelope: Envelope, uow: IntakeUnitOfWork
    ) -> None:
        await on_queue_item_transferred(event, envelope, uow, parking=parking)

    bookings = EventConsumer(
        BOOKINGS_APPOINTMENTS,
        group=group,
        uow_factory=container.uow,
        producer=runtime.producer,
        settings=settings.consumer.quiet(),
    )

    @bookings.on(BookingConfirmed)
    async def confirmed(event: BookingConfirmed, _: Envelope, uow: IntakeUnitOfWork) -> None:
        await on_booking_confirmed(event, uow)

    @bookings.on(BookingCancelled)
    async def cancelled(event: BookingCancelled, _: Envelope, uow: IntakeUnitOfWork) -> None:
        await on_booking_cancelled(event, uow)

    messages = EventConsumer(
        MESSAGING_MESSAGES,
        group=group,
        uow_factory=container.uow,
        producer=runtime.producer,
        settings=settings.consumer.quiet(),
    )

    @messages.on(MessageSent)
    async def message_sent(event: MessageSent, _: Envelope, uow: IntakeUnitOfWork) -> None:
        await on_message_sent(event, uow)

    chats = EventConsumer(
        MESSAGING_CHATS,
        group=group,
        uow_factory=container.uow,
        producer=runtime.producer,
        settings=settings.consumer.quiet(),
    )

    @chats.on(ChatCaseRequested)
    async def case_requested(event: ChatCaseRequested, _: Envelope, uow: IntakeUnitOfWork) -> None:
        await create_case_for_chat(event, uow, container.intake.parking_metrics)

    return [queue, bookings, messages, chats]
