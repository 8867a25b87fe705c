"""What every use case gets from bootstrap: units of work, the clock, rules' settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from careflow.intake.application.ports import Clock, ParkingMetrics, UnitOfWork
from careflow.intake.domain.forms import FormPolicy

__all__ = ["Clock", "Intake"]


@dataclass(frozen=True)
class Intake:
    #: A fresh unit of work per transaction (a use case may run several, e.g. the closer).
    uow: Callable[[], UnitOfWork]
    clock: Clock
    policy: FormPolicy
    parking_metrics: ParkingMetrics
