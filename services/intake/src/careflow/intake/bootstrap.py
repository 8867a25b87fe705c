"""The only place that builds intake: runtime, units of work, clock, rules, use-case objects.

It builds (never starts) and imports no entry point: `create_app` is the one
composition root and hands the worker's consumers and loops to the service kit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from careflow.intake.adapters.dead_letters import ParkedDeadLetters
from careflow.intake.adapters.metrics import OtelParkingMetrics
from careflow.intake.adapters.unit_of_work import IntakeUnitOfWork
from careflow.intake.application.close_expired_proposals import ProposalCloser
from careflow.intake.application.context import Clock, Intake
from careflow.intake.application.parked_events import ParkedEventSweeper
from careflow.intake.domain.forms import FormPolicy
from careflow.intake.domain.parking import ParkingRules
from careflow.intake.settings import Settings
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.service.runtime import ServiceRuntime

NAME = "intake"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Container:
    """What entry points need: the runtime, units of work, the clock and the use-case context."""

    settings: Settings
    runtime: ServiceRuntime
    clock: Clock
    resident_ids: ResidentIds
    #: What every use case runs with (units of work, clock, form policy).
    intake: Intake
    closer: ProposalCloser

    def uow(self) -> IntakeUnitOfWork:
        return self.runtime.unit_of_work(IntakeUnitOfWork)

    def parked_event_sweeper(self, runtime: ServiceRuntime) -> ParkedEventSweeper:
        """Built once the runtime runs: the producer that sends the dead letters exists then."""
        parking = self.settings.parking
        return ParkedEventSweeper(
            self.intake,
            ParkedDeadLetters(runtime.producer, runtime.topics),
            ParkingRules(timedelta(seconds=parking.timeout_seconds)),
            batch_size=parking.batch_size,
            poll_seconds=parking.sweep_seconds,
        )


def build(settings: Settings, *, clock: Clock = system_clock) -> Container:
    """Wires the service; nothing connects until the runtime starts (in the app's lifespan)."""
    runtime = ServiceRuntime(settings, NAME, migrations=MIGRATIONS)
    container: Container

    def uow() -> IntakeUnitOfWork:
        return container.uow()

    intake = Intake(
        uow=uow,
        clock=clock,
        policy=FormPolicy(frozenset(settings.anonymous_pre_information_forms)),
        parking_metrics=OtelParkingMetrics(),
    )
    closer = ProposalCloser(
        intake, batch_size=settings.closer.batch_size, poll_seconds=settings.closer.poll_seconds
    )
    container = Container(
        settings=settings,
        runtime=runtime,
        clock=clock,
        resident_ids=ResidentIds(settings.resident_id_key.get_secret_value().encode()),
        intake=intake,
        closer=closer,
    )
    return container
