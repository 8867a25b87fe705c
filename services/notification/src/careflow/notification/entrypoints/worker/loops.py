"""The background loops of a notification process: the delivery listener, one sender per
channel and the parking sweeper (none of them with `sender.enabled` off)."""

from __future__ import annotations

from datetime import timedelta

from careflow.notification.adapters.email import SmtpEmailSender
from careflow.notification.adapters.outcome_log import DriverOutcomeLog
from careflow.notification.adapters.sms import FileSmsSink, HttpSmsSender
from careflow.notification.adapters.wakeup import Wakeup, listen
from careflow.notification.application.pacing import Pacer
from careflow.notification.bootstrap import Container
from careflow.notification.domain.consent import EMAIL, SMS
from careflow.notification.entrypoints.worker.sender import channel_loop, parking_loop
from careflow.shared.db.engine import asyncpg_dsn
from careflow.shared.service.runtime import BackgroundTask, ServiceRuntime

#: How long stopping waits for the email handover under way to record its outcome.
LINE_FINISH_SECONDS = 5.0


def background(container: Container) -> list[BackgroundTask]:
    """The loops the settings switch on; each runs until the runtime stops."""
    s = container.settings.sender
    if not s.enabled:
        return []
    notifier, channels = container.notifier, container.channels
    # One per process: the listener wakes every idle sender pass of both channels.
    wakeup = Wakeup()

    async def delivery_listener(runtime: ServiceRuntime) -> None:
        await listen(asyncpg_dsn(runtime.engine.url), wakeup, retry_seconds=s.idle_poll_seconds)

    async def send(
        runtime: ServiceRuntime,
        channel: str,
        sender: SmtpEmailSender | HttpSmsSender | FileSmsSink,
        pacer: Pacer,
        connections: int,
    ) -> None:
        outcomes = DriverOutcomeLog(asyncpg_dsn(runtime.engine.url), connections=connections)
        try:
            await channel_loop(
                channel,
                container.uow,
                sender,
                notifier,
                pacer=pacer,
                wakeup=wakeup,
                workers=s.workers,
                batch_size=s.batch_size,
                idle_poll_seconds=s.idle_poll_seconds,
                lease=timedelta(seconds=s.lease_seconds),
                outcomes=outcomes,
            )
        finally:
            # An email handed over, if any, records its outcome before the connections
            # close (else it would go again when its lease ends); SMS has no line.
            await pacer.handovers.finish(grace=LINE_FINISH_SECONDS)
            await sender.close()
            await outcomes.close()

    async def email_sender(runtime: ServiceRuntime) -> None:
        # SMTP drops no repeat: its handovers run on a line, whose outcomes go one at a
        # time (a second connection for the failed attempts' outcomes beside it).
        pacer = Pacer(per_second=s.email_per_second, concurrency=s.email_concurrency)
        await send(runtime, EMAIL, channels.email, pacer, connections=2)

    async def sms_sender(runtime: ServiceRuntime) -> None:
        # Outcomes side by side, each a single short statement: a few connections.
        pacer = Pacer(per_second=s.sms_per_second, concurrency=s.sms_concurrency)
        await send(runtime, SMS, channels.sms, pacer, connections=max(1, s.sms_concurrency // 4))

    async def parking_sweeper(_runtime: ServiceRuntime) -> None:
        await parking_loop(container.uow, notifier, every=s.park_check_seconds)

    return [delivery_listener, email_sender, sms_sender, parking_sweeper]
