"""Kafka envelope → inbox → use case: every topic the notification service reads."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from careflow.contracts import cases as c
from careflow.contracts import notifications as n
from careflow.contracts import residents as r
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import (
    INTAKE_CASES,
    INTAKE_RESIDENT_CONTACTS,
    INTAKE_RESIDENTS,
    NOTIFICATION_REQUESTS_TOPIC,
    REMINDERS_WITHDRAWALS,
    WORKQUEUE_ITEMS,
)
from careflow.contracts.reminders import NotificationWithdrawn
from careflow.contracts.topics import TopicSpec
from careflow.contracts.workqueue import QueueItemMarkedIncomplete
from careflow.notification.adapters.unit_of_work import NotificationUnitOfWork
from careflow.notification.application import cases, notify, residents
from careflow.notification.application.context import Notifier
from careflow.notification.bootstrap import Container
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.service.runtime import ConsumerFactory, ServiceRuntime
from careflow.shared.settings import ConsumerSettings

UseCase = Callable[[Any, NotificationUnitOfWork, Notifier], Awaitable[None]]

ROUTES: list[tuple[TopicSpec, dict[type, UseCase]]] = [
    (
        INTAKE_RESIDENTS,
        {
            r.ResidentContactUpdated: residents.on_contact_updated,
            r.ServiceConsentsWithdrawn: residents.on_consents_withdrawn,
            r.ServiceConsentsGiven: residents.on_consents_given,
        },
    ),
    (INTAKE_RESIDENT_CONTACTS, {r.ResidentContactDetailsChanged: residents.on_details_changed}),
    (
        INTAKE_CASES,
        {
            c.ClosingProposed: notify.on_notifying_event,
            c.ClosingProposalRejected: notify.on_notifying_event,
            c.TaskAssigned: notify.on_notifying_event,
            c.CoachingAttached: notify.on_notifying_event,
            c.GoalSet: notify.on_notifying_event,
            c.CaseClosed: notify.on_notifying_event,
            c.CaseSubmitted: cases.on_case_opened,
            c.CaseCreatedByProfessional: cases.on_case_opened,
        },
    ),
    (WORKQUEUE_ITEMS, {QueueItemMarkedIncomplete: notify.on_notifying_event}),
    (
        NOTIFICATION_REQUESTS_TOPIC,
        {
            n.NotificationRequested: notify.on_notifying_event,
            n.ProfessionalChatNotificationRequested: notify.on_professional_chat,
        },
    ),
    (REMINDERS_WITHDRAWALS, {NotificationWithdrawn: notify.on_notification_withdrawn}),
]


def consumers(container: Container) -> ConsumerFactory:
    """The consumers of one process; built once the runtime runs (they need its producer)."""
    settings = container.settings

    def factory(runtime: ServiceRuntime) -> list[EventConsumer[NotificationUnitOfWork]]:
        return topic_consumers(
            group=settings.consumer_group,
            uow_factory=container.uow,
            producer=runtime.producer,
            settings=settings.consumer,
            notifier=container.notifier,
        )

    return factory  # type: ignore[return-value]


def topic_consumers(
    *,
    group: str,
    uow_factory: Callable[[], NotificationUnitOfWork],
    producer: object,
    settings: ConsumerSettings,
    notifier: Notifier,
) -> list[EventConsumer[NotificationUnitOfWork]]:
    """One consumer per topic; events a topic carries that notify nobody are ignored.

    Each topic gets its own group, `<group>.<topic>`: members of one group that
    subscribe to different topics rebalance each other on every join (tens of
    seconds on Tansu); the broker's ACLs grant the `notification.` prefix.
    """
    built = []
    for topic, routes in ROUTES:
        consumer: EventConsumer[NotificationUnitOfWork] = EventConsumer(
            topic,
            group=f"{group}.{topic.name}",
            uow_factory=uow_factory,
            producer=producer,  # type: ignore[arg-type]
            settings=settings,
        )
        for event_class, use_case in routes.items():
            consumer.on(event_class)(_handler(use_case, notifier))
        built.append(consumer)
    return built


def _handler(use_case: UseCase, notifier: Notifier) -> Callable[..., Awaitable[None]]:
    async def handle(event: Any, _envelope: Envelope, uow: NotificationUnitOfWork) -> None:
        await use_case(event, uow, notifier)

    return handle
