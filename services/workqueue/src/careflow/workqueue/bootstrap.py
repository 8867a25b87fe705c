"""The only place that builds the runtime, clocks and policies of the work queue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from careflow.contracts.urgency import load_scales
from careflow.shared.service.runtime import ServiceRuntime
from careflow.workqueue.adapters.unit_of_work import WorkqueueUnitOfWork
from careflow.workqueue.application.urgency import ScalePolicies
from careflow.workqueue.entrypoints.worker.subscribers import (
    booking_events_consumer,
    case_events_consumer,
    resident_names_consumer,
)
from careflow.workqueue.settings import Settings

NAME = "workqueue"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """What entry points need: the runtime, a unit-of-work factory, the clock and the scale."""

    settings: Settings
    runtime: ServiceRuntime
    policies: ScalePolicies
    clock: Callable[[], datetime] = field(default=utc_now)

    def uow(self) -> WorkqueueUnitOfWork:
        rt = self.runtime
        return WorkqueueUnitOfWork(
            rt.sessions, source=rt.source, topics=rt.topics, shards=rt.settings.relay.shards
        )


def build(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Container:
    """Wires the service; nothing connects until the runtime starts (in the app's lifespan)."""
    policies = ScalePolicies(
        load_scales(
            {org: path.read_text() for org, path in settings.urgency_scales.items()},
            default=settings.urgency_scale or None,
        )
    )
    container: Container

    def consumers(runtime: ServiceRuntime) -> list[object]:
        return [
            case_events_consumer(
                group=settings.consumer_group,
                uow_factory=container.uow,
                producer=runtime.producer,
                settings=settings.consumer,
                policies=policies,
                clock=clock,
            ),
            resident_names_consumer(
                group=f"{settings.consumer_group}.resident-names",
                uow_factory=container.uow,
                producer=runtime.producer,
                settings=settings.consumer,
            ),
            booking_events_consumer(
                group=f"{settings.consumer_group}.bookings",
                uow_factory=container.uow,
                producer=runtime.producer,
                settings=settings.consumer,
                clock=clock,
            ),
        ]

    runtime = ServiceRuntime(
        settings,
        NAME,
        migrations=MIGRATIONS,
        consumer_factory=consumers,  # type: ignore[arg-type]
    )
    container = Container(settings, runtime, policies, clock)
    return container
