"""The only place that builds the work queue: runtime, units of work, clock, urgency scale.

It builds (never starts) and imports no entry point: `create_app` is the one
composition root and hands the worker's consumers to the service kit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from careflow.contracts.urgency import load_scales
from careflow.shared.service.runtime import ServiceRuntime
from careflow.workqueue.adapters.unit_of_work import WorkqueueUnitOfWork
from careflow.workqueue.application.urgency import ScalePolicies
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
        return self.runtime.unit_of_work(WorkqueueUnitOfWork)


def build(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Container:
    """Wires the service; nothing connects until the runtime starts (in the app's lifespan)."""
    runtime = ServiceRuntime(settings, NAME, migrations=MIGRATIONS)
    policies = ScalePolicies(
        load_scales(
            {org: path.read_text() for org, path in settings.urgency_scales.items()},
            default=settings.urgency_scale or None,
        )
    )
    return Container(settings, runtime, policies, clock)
