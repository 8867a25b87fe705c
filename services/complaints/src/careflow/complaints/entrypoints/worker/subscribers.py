"""Kafka envelope -> inbox -> use case: the one topic complaints reads, its own
`complaints.cases.v1`, whose routing events schedule deliveries to clinics' own systems."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from careflow.complaints.adapters.unit_of_work import ComplaintsUnitOfWork
from careflow.complaints.application.routing import on_routed
from careflow.complaints.bootstrap import Container
from careflow.contracts.complaints import ComplaintRetargeted, ComplaintSubmitted
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import COMPLAINTS_CASES
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.service.runtime import ConsumerFactory, ServiceRuntime


def consumers(container: Container) -> ConsumerFactory:
    """The consumers of one process; built once the runtime runs (they need its producer).

    Events of the topic that schedule nothing (delivered, answered, and routing events
    of cases handled in the staff view) are ignored."""
    settings = container.settings

    def factory(runtime: ServiceRuntime) -> list[EventConsumer[ComplaintsUnitOfWork]]:
        consumer: EventConsumer[ComplaintsUnitOfWork] = EventConsumer(
            COMPLAINTS_CASES,
            group=f"{settings.consumer_group}.{COMPLAINTS_CASES.name}",
            uow_factory=container.uow,
            producer=runtime.producer,
            settings=settings.consumer,
        )
        handle = _handler(container)
        # Most cases are handled in the staff view and need nothing here: only those
        # routed to an own system open a transaction and claim the inbox.
        consumer.on(ComplaintSubmitted, when=_to_own_system)(handle)
        consumer.on(ComplaintRetargeted, when=_to_own_system)(handle)
        return [consumer]

    return factory  # type: ignore[return-value]


def _to_own_system(event: ComplaintSubmitted | ComplaintRetargeted) -> bool:
    return event.handled_in == "own_system"


def _handler(container: Container) -> Callable[..., Awaitable[None]]:
    async def handle(event: Any, _envelope: Envelope, uow: ComplaintsUnitOfWork) -> None:
        await on_routed(event, uow, container.context)

    return handle
