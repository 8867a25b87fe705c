"""Kafka envelope -> inbox -> use case: bookings, cases, residents and clinical events."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from careflow.contracts import bookings as b
from careflow.contracts import cases as c
from careflow.contracts import clinical as cl
from careflow.contracts import residents as r
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import (
    BOOKINGS_APPOINTMENTS,
    CLINICAL_SERVICES,
    INTAKE_CASES,
    INTAKE_RESIDENTS,
)
from careflow.contracts.topics import TopicSpec
from careflow.reminders.adapters.unit_of_work import RemindersUnitOfWork
from careflow.reminders.application import appointments, clinical, residents
from careflow.reminders.bootstrap import Container
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.service.runtime import ConsumerFactory, ServiceRuntime

Handler = Callable[[Any, Envelope, RemindersUnitOfWork], Awaitable[None]]


def routes(container: Container) -> list[tuple[TopicSpec, dict[type, Handler]]]:
    policy, clock = container.policy, container.clock

    async def confirmed(event: Any, _: Envelope, uow: RemindersUnitOfWork) -> None:
        await appointments.on_booking_confirmed(event, uow, policy, clock())

    async def cancelled(event: Any, _: Envelope, uow: RemindersUnitOfWork) -> None:
        await appointments.on_booking_cancelled(event, uow, clock())

    async def case_opened(event: Any, _: Envelope, uow: RemindersUnitOfWork) -> None:
        # A guardian's case reaches the guardian (notification addresses it); the
        # reminder belongs to the child the case is about.
        await appointments.on_case_opened(
            event.case_id, event.resident_id, event.organisation_id, uow
        )

    async def contact(event: Any, _: Envelope, uow: RemindersUnitOfWork) -> None:
        await residents.on_contact_updated(event, uow)

    async def clinical_event(event: Any, _: Envelope, uow: RemindersUnitOfWork) -> None:
        await clinical.on_clinical_event(event, uow, policy, clock())

    return [
        (BOOKINGS_APPOINTMENTS, {b.BookingConfirmed: confirmed, b.BookingCancelled: cancelled}),
        (INTAKE_CASES, {c.CaseSubmitted: case_opened, c.CaseCreatedByProfessional: case_opened}),
        (INTAKE_RESIDENTS, {r.ResidentContactUpdated: contact}),
        (CLINICAL_SERVICES, {cl.ServicePerformed: clinical_event, cl.ItemAdded: clinical_event}),
    ]


def consumers(container: Container) -> ConsumerFactory:
    """One consumer per topic, group `<consumer_group>.<topic>`; events a topic carries that
    reminders does not need are ignored."""
    settings = container.settings

    def factory(runtime: ServiceRuntime) -> list[EventConsumer[RemindersUnitOfWork]]:
        built = []
        for topic, handlers in routes(container):
            consumer: EventConsumer[RemindersUnitOfWork] = EventConsumer(
                topic,
                group=f"{settings.consumer_group}.{topic.name}",
                uow_factory=container.uow,
                producer=runtime.producer,
                settings=settings.consumer,
            )
            for event_class, handler in handlers.items():
                consumer.on(event_class)(handler)
            built.append(consumer)
        return built

    return factory  # type: ignore[return-value]
