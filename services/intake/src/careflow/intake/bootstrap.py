"""The only place that wires intake: runtime, units of work, clock, consumers, closer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from careflow.intake.adapters.dead_letters import ParkedDeadLetters
from careflow.intake.adapters.unit_of_work import IntakeUnitOfWork
from careflow.intake.application.actors import ResidentIds
from careflow.intake.application.close_expired_proposals import ProposalCloser
from careflow.intake.application.context import Clock, Intake
from careflow.intake.application.parked_events import ParkedEventSweeper
from careflow.intake.domain.forms import FormPolicy
from careflow.intake.domain.parking import ParkingRules
from careflow.intake.entrypoints.worker.subscribers import consumers
from careflow.intake.settings import Settings
from careflow.shared.service.runtime import ServiceRuntime

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Wiring:
    runtime: ServiceRuntime
    intake: Intake
    closer: ProposalCloser


def bootstrap(settings: Settings, *, clock: Clock = system_clock) -> Wiring:
    """Builds (but does not start) everything; the app's lifespan starts the runtime."""
    runtime = ServiceRuntime(settings, "intake", migrations=MIGRATIONS)

    def uow() -> IntakeUnitOfWork:
        return IntakeUnitOfWork(
            runtime.sessions,
            source=runtime.source,
            topics=runtime.topics,
            shards=settings.relay.shards,
        )

    intake = Intake(
        uow=uow,
        clock=clock,
        policy=FormPolicy(frozenset(settings.anonymous_pre_information_forms)),
        resident_ids=ResidentIds(settings.resident_id_key.get_secret_value().encode()),
    )
    closer = ProposalCloser(
        intake, batch_size=settings.closer.batch_size, poll_seconds=settings.closer.poll_seconds
    )
    if settings.consumers_enabled:
        runtime.consumer_factory = lambda rt: consumers(rt, uow, clock)

        async def parked_event_sweeper(rt: ServiceRuntime) -> None:
            # Built here: the producer that sends the dead letters exists once the runtime runs.
            await ParkedEventSweeper(
                intake,
                ParkedDeadLetters(rt.producer, rt.topics),
                ParkingRules(timedelta(seconds=settings.parking.timeout_seconds)),
                batch_size=settings.parking.batch_size,
                poll_seconds=settings.parking.sweep_seconds,
            ).run()

        runtime.background.append(parked_event_sweeper)

    async def proposal_closer(_: ServiceRuntime) -> None:
        await closer.run()

    if settings.closer.enabled:
        runtime.background.append(proposal_closer)
    return Wiring(runtime, intake, closer)
