"""The only place that builds notification: runtime, units of work, channel senders, templates,
telemetry and clock.

It builds (never starts) and imports no entry point: `create_app` is the one
composition root and hands the worker's consumers and sender loops to the service kit.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from careflow.notification.adapters.email import SmtpEmailSender
from careflow.notification.adapters.sms import FileSmsSink, HttpSmsSender
from careflow.notification.adapters.telemetry import OtelDeliveryTelemetry
from careflow.notification.adapters.templates import JinjaRenderer
from careflow.notification.adapters.unit_of_work import NotificationUnitOfWork
from careflow.notification.application.context import Notifier, utc_now
from careflow.notification.application.ports import Links
from careflow.notification.domain.delivery import RetryPolicy
from careflow.notification.settings import Settings
from careflow.shared.auth.pseudonyms import ResidentIds
from careflow.shared.service.runtime import ServiceRuntime

NAME = "notification"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


@dataclass(frozen=True)
class Channels:
    """The senders of each channel; they connect at their first send, not here."""

    email: SmtpEmailSender
    sms: HttpSmsSender | FileSmsSink


@dataclass
class Container:
    """What entry points need: the runtime, a unit-of-work factory, the notifier (what the
    use cases share), the channel senders and resident ids."""

    settings: Settings
    runtime: ServiceRuntime
    notifier: Notifier
    channels: Channels
    resident_ids: ResidentIds
    clock: Callable[[], datetime] = field(default=utc_now)

    def uow(self) -> NotificationUnitOfWork:
        return self.runtime.unit_of_work(NotificationUnitOfWork)


def build(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Container:
    """Wires the service; nothing connects until the runtime starts (in the app's lifespan)."""
    s = settings.sender
    notifier = Notifier(
        renderer=JinjaRenderer(),
        links=Links(settings.resident_link_base_url, settings.professional_link_base_url),
        telemetry=OtelDeliveryTelemetry(),
        default_time_zone=settings.default_time_zone,
        park_timeout_seconds=s.park_timeout_seconds,
        retry=RetryPolicy(
            initial=timedelta(seconds=s.retry_initial_seconds),
            maximum=timedelta(seconds=s.retry_max_seconds),
            give_up_after=timedelta(seconds=s.give_up_after_seconds),
        ),
        clock=clock,
    )
    return Container(
        settings=settings,
        runtime=ServiceRuntime(settings, NAME, migrations=MIGRATIONS),
        notifier=notifier,
        channels=_channels(settings),
        resident_ids=ResidentIds(settings.resident_id_key.get_secret_value().encode()),
        clock=clock,
    )


def _channels(settings: Settings) -> Channels:
    smtp, sms, s = settings.smtp, settings.sms, settings.sender
    email = SmtpEmailSender(
        host=smtp.host,
        port=smtp.port,
        sender=smtp.sender,
        timeout=smtp.timeout_seconds,
        start_tls=smtp.start_tls,
        use_tls=smtp.use_tls,
        username=smtp.username,
        password=smtp.password.get_secret_value() if smtp.password else None,
        max_messages_per_connection=smtp.max_messages_per_connection,
        max_idle_seconds=smtp.max_idle_seconds,
    )
    text = (
        HttpSmsSender(
            base_url=sms.provider_url,
            token=sms.token.get_secret_value(),
            timeout=sms.timeout_seconds,
            connections=s.sms_concurrency,
        )
        if sms.provider_url
        else FileSmsSink(sms.sink_dir)
    )
    return Channels(email=email, sms=text)
