"""Kafka envelope → inbox → use case: the consumer of intake's case events."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from careflow.contracts import cases as c
from careflow.contracts.bookings import BookingCancelled
from careflow.contracts.envelope import Envelope
from careflow.contracts.messages import MessageSent, MessagesRead
from careflow.contracts.registry import (
    BOOKINGS_APPOINTMENTS,
    INTAKE_CASES,
    INTAKE_RESIDENT_NAMES,
    MESSAGING_MESSAGES,
)
from careflow.contracts.residents import ResidentNameChanged
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.service.runtime import ConsumerFactory, ServiceRuntime
from careflow.shared.settings import ConsumerSettings
from careflow.workqueue.adapters.unit_of_work import WorkqueueUnitOfWork
from careflow.workqueue.application import reactions
from careflow.workqueue.application.ports import UrgencyPolicies
from careflow.workqueue.bootstrap import Container


def consumers(container: Container) -> ConsumerFactory:
    """The consumers of one process; built once the runtime runs (they need its producer)."""
    settings = container.settings

    def factory(runtime: ServiceRuntime) -> list[EventConsumer[WorkqueueUnitOfWork]]:
        # Only intake's case events are waited on (a submission becomes an item): the
        # other topics are fetched with the quiet wait (ConsumerSettings.quiet).
        return [
            case_events_consumer(
                group=settings.consumer_group,
                uow_factory=container.uow,
                producer=runtime.producer,
                settings=settings.consumer,
                policies=container.policies,
                clock=container.clock,
            ),
            resident_names_consumer(
                group=f"{settings.consumer_group}.resident-names",
                uow_factory=container.uow,
                producer=runtime.producer,
                settings=settings.consumer.quiet(),
            ),
            booking_events_consumer(
                group=f"{settings.consumer_group}.bookings",
                uow_factory=container.uow,
                producer=runtime.producer,
                settings=settings.consumer.quiet(),
                clock=container.clock,
            ),
            message_events_consumer(
                group=f"{settings.consumer_group}.messages",
                uow_factory=container.uow,
                producer=runtime.producer,
                settings=settings.consumer.quiet(),
                clock=container.clock,
            ),
        ]

    return factory  # type: ignore[return-value]


def case_events_consumer(
    *,
    group: str,
    uow_factory: Callable[[], WorkqueueUnitOfWork],
    producer: object,
    settings: ConsumerSettings,
    policies: UrgencyPolicies,
    clock: Callable[[], datetime],
) -> EventConsumer[WorkqueueUnitOfWork]:
    """Subscribes to intake.cases.v1; the events the queue does not need are ignored."""
    consumer: EventConsumer[WorkqueueUnitOfWork] = EventConsumer(
        INTAKE_CASES,
        group=group,
        uow_factory=uow_factory,
        producer=producer,  # type: ignore[arg-type]
        settings=settings,
        claim_at_commit=True,  # the reactions' only effects are their writes
    )

    async def created(
        event: c.CaseSubmitted | c.CaseCreatedByProfessional,
        _envelope: Envelope,
        uow: WorkqueueUnitOfWork,
    ) -> None:
        await reactions.on_case_created(event, uow, policies=policies, now=clock())

    async def follow_up(event: c.CaseEvent, envelope: Envelope, uow: WorkqueueUnitOfWork) -> None:
        await reactions.on_case_follow_up(event, envelope.id, uow, now=clock())

    consumer.on(c.CaseSubmitted)(created)
    consumer.on(c.CaseCreatedByProfessional)(created)
    for event_class in reactions.FOLLOW_UPS.values():
        consumer.on(event_class)(follow_up)
    return consumer


def resident_names_consumer(
    *,
    group: str,
    uow_factory: Callable[[], WorkqueueUnitOfWork],
    producer: object,
    settings: ConsumerSettings,
) -> EventConsumer[WorkqueueUnitOfWork]:
    """Subscribes to intake.resident-names.v1 (restricted): names for the sort order only."""
    consumer: EventConsumer[WorkqueueUnitOfWork] = EventConsumer(
        INTAKE_RESIDENT_NAMES,
        group=group,
        uow_factory=uow_factory,
        producer=producer,  # type: ignore[arg-type]
        settings=settings,
        claim_at_commit=True,  # the reactions' only effects are their writes
    )

    @consumer.on(ResidentNameChanged)
    async def name_changed(
        event: ResidentNameChanged, _envelope: Envelope, uow: WorkqueueUnitOfWork
    ) -> None:
        await uow.names.note(event.resident_id, event.name, event.changed_at)

    return consumer


def booking_events_consumer(
    *,
    group: str,
    uow_factory: Callable[[], WorkqueueUnitOfWork],
    producer: object,
    settings: ConsumerSettings,
    clock: Callable[[], datetime],
) -> EventConsumer[WorkqueueUnitOfWork]:
    """Subscribes to bookings.appointments.v1: a resident's cancellation clears incomplete."""
    consumer: EventConsumer[WorkqueueUnitOfWork] = EventConsumer(
        BOOKINGS_APPOINTMENTS,
        group=group,
        uow_factory=uow_factory,
        producer=producer,  # type: ignore[arg-type]
        settings=settings,
        claim_at_commit=True,  # the reactions' only effects are their writes
    )

    @consumer.on(BookingCancelled)
    async def cancelled(
        event: BookingCancelled, _envelope: Envelope, uow: WorkqueueUnitOfWork
    ) -> None:
        await reactions.on_booking_cancelled(event, uow, now=clock())

    return consumer


def message_events_consumer(
    *,
    group: str,
    uow_factory: Callable[[], WorkqueueUnitOfWork],
    producer: object,
    settings: ConsumerSettings,
    clock: Callable[[], datetime],
) -> EventConsumer[WorkqueueUnitOfWork]:
    """Subscribes to messaging.messages.v1: unread resident messages on the item; a
    resident's message clears "incomplete"."""
    consumer: EventConsumer[WorkqueueUnitOfWork] = EventConsumer(
        MESSAGING_MESSAGES,
        group=group,
        uow_factory=uow_factory,
        producer=producer,  # type: ignore[arg-type]
        settings=settings,
        claim_at_commit=True,  # the reactions' only effects are their writes
    )

    async def changed(
        event: MessageSent | MessagesRead, envelope: Envelope, uow: WorkqueueUnitOfWork
    ) -> None:
        await reactions.on_case_follow_up(event, envelope.id, uow, now=clock())

    consumer.on(MessageSent)(changed)
    consumer.on(MessagesRead)(changed)
    return consumer
