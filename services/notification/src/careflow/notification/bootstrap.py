"""The only place that builds the runtime, channel senders, templates and clock."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

from careflow.notification.adapters.email import SmtpEmailSender
from careflow.notification.adapters.sms import FileSmsSink, HttpSmsSender
from careflow.notification.adapters.templates import JinjaRenderer
from careflow.notification.adapters.unit_of_work import NotificationUnitOfWork
from careflow.notification.adapters.wakeup import Wakeup, listen
from careflow.notification.application.context import Notifier, utc_now
from careflow.notification.application.pacing import Pacer
from careflow.notification.application.ports import ChannelSender, Links
from careflow.notification.domain.consent import EMAIL, SMS
from careflow.notification.domain.delivery import RetryPolicy
from careflow.notification.entrypoints.worker import sender as loops
from careflow.notification.entrypoints.worker.subscribers import consumers as build_consumers
from careflow.notification.settings import Settings
from careflow.shared.db.engine import asyncpg_dsn
from careflow.shared.service.runtime import ServiceRuntime

NAME = "notification"
MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


class ResidentIds:
    """Token subject → pseudonymous resident_id, exactly as intake computes it (shared key)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def of(self, subject: str) -> UUID:
        digest = hmac.new(self._key, subject.encode(), hashlib.sha256).digest()
        return UUID(bytes=digest[:16])


@dataclass
class Container:
    """What entry points need: the runtime, a unit-of-work factory, the notifier, resident ids."""

    settings: Settings
    runtime: ServiceRuntime
    notifier: Notifier
    resident_ids: ResidentIds
    clock: Callable[[], datetime] = field(default=utc_now)

    def uow(self) -> NotificationUnitOfWork:
        rt = self.runtime
        return NotificationUnitOfWork(
            rt.sessions, source=rt.source, topics=rt.topics, shards=rt.settings.relay.shards
        )


def build(settings: Settings, *, clock: Callable[[], datetime] = utc_now) -> Container:
    """Wires the service; nothing connects until the runtime starts (in the app's lifespan)."""
    s = settings.sender
    notifier = Notifier(
        renderer=JinjaRenderer(),
        links=Links(settings.resident_link_base_url, settings.professional_link_base_url),
        default_time_zone=settings.default_time_zone,
        park_timeout_seconds=s.park_timeout_seconds,
        retry=RetryPolicy(
            initial=timedelta(seconds=s.retry_initial_seconds),
            maximum=timedelta(seconds=s.retry_max_seconds),
            give_up_after=timedelta(seconds=s.give_up_after_seconds),
        ),
        clock=clock,
    )
    container: Container

    def consumers(runtime: ServiceRuntime) -> list[object]:
        return list(
            build_consumers(
                group=settings.consumer_group,
                uow_factory=container.uow,
                producer=runtime.producer,
                settings=settings.consumer,
                notifier=notifier,
            )
        )

    runtime = ServiceRuntime(
        settings,
        NAME,
        migrations=MIGRATIONS,
        consumer_factory=consumers,  # type: ignore[arg-type]
        background=_background(settings, notifier, lambda: container.uow()),
    )
    container = Container(
        settings,
        runtime,
        notifier,
        ResidentIds(settings.resident_id_key.get_secret_value().encode()),
        clock,
    )
    return container


def _background(
    settings: Settings, notifier: Notifier, uow_factory: Callable[[], NotificationUnitOfWork]
) -> list[Callable[[ServiceRuntime], object]]:
    if not settings.sender.enabled:
        return []
    s = settings.sender
    smtp = settings.smtp
    wakeup = Wakeup()

    async def delivery_listener(runtime: ServiceRuntime) -> None:
        await listen(asyncpg_dsn(runtime.engine.url), wakeup, retry_seconds=s.idle_poll_seconds)

    async def run_channel(channel: str, sender: ChannelSender, pacer: Pacer) -> None:
        await loops.channel_loop(
            channel,
            uow_factory,
            sender,
            notifier,
            pacer=pacer,
            wakeup=wakeup,
            workers=s.workers,
            batch_size=s.batch_size,
            idle_poll_seconds=s.idle_poll_seconds,
        )

    async def email_sender(_runtime: ServiceRuntime) -> None:
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
        pacer = Pacer(per_second=s.email_per_second, concurrency=s.email_concurrency)
        try:
            await run_channel(EMAIL, email, pacer)
        finally:
            await email.close()

    async def sms_sender(_runtime: ServiceRuntime) -> None:
        sms = settings.sms
        channel = (
            HttpSmsSender(
                base_url=sms.provider_url,
                token=sms.token.get_secret_value(),
                timeout=sms.timeout_seconds,
                connections=s.sms_concurrency,
            )
            if sms.provider_url
            else FileSmsSink(sms.sink_dir)
        )
        pacer = Pacer(per_second=s.sms_per_second, concurrency=s.sms_concurrency)
        try:
            await run_channel(SMS, channel, pacer)
        finally:
            await channel.close()

    async def parking_sweeper(_runtime: ServiceRuntime) -> None:
        await loops.parking_loop(uow_factory, notifier, every=s.park_check_seconds)

    return [delivery_listener, email_sender, sms_sender, parking_sweeper]
