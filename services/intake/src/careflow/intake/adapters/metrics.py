"""The parking metrics as OpenTelemetry counters (made once, at import)."""

from __future__ import annotations

from opentelemetry import metrics

_meter = metrics.get_meter("careflow.intake")
_PARKED = _meter.create_counter(
    "intake.parked_events", description="Work-queue events parked until their case is known."
)
_RELEASED = _meter.create_counter(
    "intake.parked_events_released", description="Parked events applied when their case arrived."
)
_GIVEN_UP = _meter.create_counter(
    "intake.parked_events_dead_lettered",
    description="Parked events whose case never arrived: dead-lettered with the reason.",
)


class OtelParkingMetrics:
    # The event type is the only label: ids would let metrics be joined to a resident.
    def parked(self, event_type: str) -> None:
        _PARKED.add(1, {"event_type": event_type})

    def released(self, count: int) -> None:
        _RELEASED.add(count)

    def dead_lettered(self, event_type: str) -> None:
        _GIVEN_UP.add(1, {"event_type": event_type})
