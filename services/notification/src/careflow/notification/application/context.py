"""What the use cases share: templates, links, telemetry, clock and the delivery rules' settings."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from careflow.notification.application.ports import DeliveryTelemetry, Links, Renderer
from careflow.notification.domain.delivery import RetryPolicy


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Notifier:
    renderer: Renderer
    links: Links
    telemetry: DeliveryTelemetry
    default_time_zone: str = "Europe/Helsinki"
    #: How long a request for a resident without contact data waits before it is suppressed.
    park_timeout_seconds: float = 24 * 3600
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    clock: Callable[[], datetime] = utc_now
