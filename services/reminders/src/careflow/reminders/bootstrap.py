"""The only place that builds reminders: runtime, units of work, clock and policies.

It builds (never starts) and imports no entry point: `create_app` is the one
composition root and hands the worker's consumers and the scheduler to the service kit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from careflow.reminders.adapters.unit_of_work import RemindersUnitOfWork
from careflow.reminders.application.context import Policy, utc_now
from careflow.reminders.settings import Settings
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.service.runtime import ServiceRuntime

NAME = "reminders"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


@dataclass
class Container:
    """What entry points need: the runtime, a unit-of-work factory, the clock and policy."""

    settings: Settings
    runtime: ServiceRuntime
    policy: Policy
    resident_ids: ResidentIds
    clock: Callable[[], datetime] = field(default=utc_now)

    def uow(self) -> RemindersUnitOfWork:
        return self.runtime.unit_of_work(RemindersUnitOfWork)


def build(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Container:
    """Wires the service; nothing connects until the runtime starts (in the app's lifespan)."""
    return Container(
        settings=settings,
        runtime=ServiceRuntime(settings, NAME, migrations=MIGRATIONS),
        policy=Policy(min_notice=settings.min_notice, rule_send_time=settings.rule_send_time),
        resident_ids=ResidentIds(settings.resident_id_key.get_secret_value().encode()),
        clock=clock,
    )
