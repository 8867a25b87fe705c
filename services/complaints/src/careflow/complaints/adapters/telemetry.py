"""The overdue-cases gauge (no labels: a count says nothing about anyone)."""

from __future__ import annotations

from collections.abc import Iterable

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

_meter = metrics.get_meter("careflow.complaints")


class OverdueGauge:
    """`careflow_complaints_overdue_cases`: unanswered cases past their due date, as last
    counted by the overdue loop."""

    def __init__(self) -> None:
        self.value: int | None = None
        _meter.create_observable_gauge(
            "careflow_complaints_overdue_cases",
            callbacks=[self._observe],
            unit="1",
            description="Unanswered complaints past their due date",
        )

    def set(self, value: int) -> None:
        self.value = value

    def _observe(self, _options: CallbackOptions) -> Iterable[Observation]:
        return [] if self.value is None else [Observation(self.value)]


OVERDUE = OverdueGauge()
