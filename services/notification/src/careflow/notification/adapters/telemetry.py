"""Delivery metrics and spans (OpenTelemetry, exported to Prometheus like the platform's).

Labels and span attributes carry channel, outcome, error or suppression codes,
attempt numbers and ids — never an address, a phone number, a name or a text.
Codes are a closed vocabulary (`smtp_550`, `sms_unavailable:ConnectError`,
`email_notifications_off`, ...), so the label sets stay small.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from opentelemetry import metrics, trace
from opentelemetry.trace import Span, SpanKind, Status, StatusCode

from careflow.notification.domain.delivery import Delivery
from careflow.shared.telemetry.metrics import SECONDS_BUCKETS

_meter = metrics.get_meter("careflow.notification")
tracer = trace.get_tracer("careflow.notification.sender")


class _DeliveryMetrics:
    def __init__(self) -> None:
        self.deliveries = _meter.create_counter(
            "careflow_notification_deliveries",
            unit="1",
            description="Delivery outcomes by channel and outcome: queued, sent, retrying, "
            "failed, suppressed",
        )
        self.send_duration = _meter.create_histogram(
            "careflow_notification_send_duration",
            unit="s",
            description="Time of one send attempt at the SMTP server or SMS provider, by "
            "channel and result: sent, transient_error, permanent_error",
            explicit_bucket_boundaries_advisory=SECONDS_BUCKETS,
        )


DELIVERY_METRICS = _DeliveryMetrics()


class _Attempt:
    def __init__(self, span: Span, channel: str) -> None:
        self._span = span
        self._channel = channel
        self._started = time.perf_counter()

    def finish(self, result: str, status: str, code: str | None) -> None:
        DELIVERY_METRICS.send_duration.record(
            time.perf_counter() - self._started, {"channel": self._channel, "result": result}
        )
        self._span.set_attribute("careflow.notification.result", result)
        self._span.set_attribute("careflow.notification.status", status)
        if code is not None:
            self._span.set_attribute("error.type", code)
            self._span.set_status(Status(StatusCode.ERROR, code))


class OtelDeliveryTelemetry:
    """The DeliveryTelemetry port on OpenTelemetry's meter and tracer."""

    def count(self, channel: str, outcome: str) -> None:
        DELIVERY_METRICS.deliveries.add(1, {"channel": channel, "outcome": outcome})

    @contextmanager
    def attempt(self, delivery: Delivery) -> Iterator[_Attempt]:
        channel = delivery.channel
        # No exception is recorded on the span: an SMTP error's text may quote the address.
        with tracer.start_as_current_span(
            f"notification send {channel}",
            kind=SpanKind.CLIENT,
            record_exception=False,
            set_status_on_exception=False,
            attributes={
                "careflow.notification.channel": channel,
                "careflow.notification.delivery_id": str(delivery.delivery_id),
                "careflow.notification.notification_id": str(delivery.notification_id),
                "careflow.notification.attempt": delivery.attempts + 1,
            },
        ) as span:
            yield _Attempt(span, channel)
