"""Delivery metrics and spans (OpenTelemetry, exported to Prometheus like the platform's).

Labels and span attributes carry channel, outcome, error or suppression codes,
attempt numbers and ids — never an address, a phone number, a name or a text.
Codes are a closed vocabulary (`smtp_550`, `sms_unavailable:ConnectError`,
`email_notifications_off`, ...), so the label sets stay small.
"""

from __future__ import annotations

from opentelemetry import metrics, trace

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


def count_outcome(channel: str, outcome: str) -> None:
    DELIVERY_METRICS.deliveries.add(1, {"channel": channel, "outcome": outcome})
