"""Kafka envelope -> inbox -> use case: the consumers of one messaging process."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from careflow.contracts import cases as c
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import INTAKE_CASES
from careflow.messaging.adapters.chat_unit_of_work import ChatUnitOfWork
from careflow.messaging.application import case_facts, chat_case
from careflow.messaging.bootstrap import Container
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.service.runtime import ConsumerFactory, ServiceRuntime
from careflow.shared.settings import ConsumerSettings


def consumers(container: Container) -> ConsumerFactory:
    """The consumers of one process; built once the runtime runs (they need its producer)."""
    settings = container.settings

    def factory(runtime: ServiceRuntime) -> list[EventConsumer[ChatUnitOfWork]]:
        return [
            case_events_consumer(
                group=settings.consumer_group,
                uow_factory=container.chat_uow,
                producer=runtime.producer,
                settings=settings.consumer,
                clock=container.clock,
            ),
        ]

    return factory  # type: ignore[return-value]


def case_events_consumer(
    *,
    group: str,
    uow_factory: Callable[[], ChatUnitOfWork],
    producer: object,
    settings: ConsumerSettings,
    clock: Callable[[], datetime],
) -> EventConsumer[ChatUnitOfWork]:
    """Subscribes to intake.cases.v1: who may write on which case (case_facts); a case a chat
    asked for gets its transcript (chat_case)."""
    consumer: EventConsumer[ChatUnitOfWork] = EventConsumer(
        INTAKE_CASES,
        group=group,
        uow_factory=uow_factory,
        producer=producer,  # type: ignore[arg-type]
        settings=settings,
    )

    async def opened(
        event: c.CaseSubmitted | c.CaseCreatedByProfessional,
        _envelope: Envelope,
        uow: ChatUnitOfWork,
    ) -> None:
        now = clock()
        await case_facts.on_case_opened(event, uow, now)
        if isinstance(event, c.CaseCreatedByProfessional):
            # Maybe the case a chat moved to non-urgent asked for: its transcript goes on it.
            await chat_case.attach_transcript(uow, event.case_id, now)

    async def follow_up(event: c.CaseEvent, _envelope: Envelope, uow: ChatUnitOfWork) -> None:
        await case_facts.on_case_follow_up(event, uow, clock())

    consumer.on(c.CaseSubmitted)(opened)
    consumer.on(c.CaseCreatedByProfessional)(opened)
    for event_class in case_facts.FOLLOW_UPS:
        consumer.on(event_class)(follow_up)
    return consumer
