"""What every use case gets from bootstrap: units of work, the clock, rules' settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from careflow.intake.adapters.unit_of_work import IntakeUnitOfWork
from careflow.intake.application.actors import ResidentIds
from careflow.intake.domain.forms import FormPolicy

Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Intake:
    uow: Callable[[], IntakeUnitOfWork]
    clock: Clock
    policy: FormPolicy
    resident_ids: ResidentIds
