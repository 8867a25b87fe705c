"""The only place that builds complaints: runtime, units of work, the directory and
case-system clients, the due-date policy and the clock.

It builds (never starts) and imports no entry point: `create_app` is the one
composition root and hands the worker's consumers and loops to the service kit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from careflow.complaints.adapters.case_system import HttpCaseSystem
from careflow.complaints.adapters.directory import HttpDirectory
from careflow.complaints.adapters.unit_of_work import ComplaintsUnitOfWork
from careflow.complaints.application.context import Context, utc_now
from careflow.complaints.domain.cases import DuePolicy
from careflow.complaints.domain.delivery import Backoff
from careflow.complaints.settings import Settings
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.service.runtime import ServiceRuntime

NAME = "complaints"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


@dataclass
class Container:
    """What entry points need: the runtime, a unit-of-work factory, the use-case context,
    the outside clients (closed at shutdown) and resident ids."""

    settings: Settings
    runtime: ServiceRuntime
    context: Context
    directory: HttpDirectory
    case_system: HttpCaseSystem
    resident_ids: ResidentIds
    clock: Callable[[], datetime] = field(default=utc_now)

    def uow(self) -> ComplaintsUnitOfWork:
        return self.runtime.unit_of_work(ComplaintsUnitOfWork)


def build(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Container:
    """Wires the service; nothing connects until the runtime starts (in the app's lifespan)."""
    directory = HttpDirectory(settings.directory.url, timeout=settings.directory.timeout_seconds)
    case_system = HttpCaseSystem(timeout=settings.delivery.timeout_seconds)
    runtime = ServiceRuntime(settings, NAME, migrations=MIGRATIONS)
    container = Container(
        settings=settings,
        runtime=runtime,
        context=None,  # type: ignore[arg-type]
        directory=directory,
        case_system=case_system,
        resident_ids=ResidentIds(settings.resident_id_key.get_secret_value().encode()),
        clock=clock,
    )
    d = settings.delivery
    container.context = Context(
        uow=container.uow,
        directory=directory,
        case_system=case_system,
        due=DuePolicy(settings.deadlines.answer_days, settings.deadlines.under_18_days),
        clock=clock,
        directory_batch=settings.directory.batch_size,
        backoff=Backoff(d.retry_initial_seconds, d.retry_max_seconds),
    )
    return container
