"""The background loops of a notification process: the delivery listener, one sender per
channel and the parking sweeper (none of them with `sender.enabled` off)."""

from __future__ import annotations

from datetime import timedelta

from careflow.notification.adapters.outcome_log import DriverOutcomeLog
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

    async def email_sender(runtime: ServiceRuntime) -> None:
        pacer = Pacer(per_second=s.email_per_second, concurrency=s.email_concurrency)
        # SMTP drops no repeat: its handovers run on a line, whose outcomes go one at a
        # time (a second connection for the failed attempts' outcomes beside it).
        outcomes = DriverOutcomeLog(asyncpg_dsn(runtime.engine.url), connections=2)
        try:
            await channel_loop(
                EMAIL,
                container.uow,
                channels.email,
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
            # The handover under way, if any, records its outcome before the connection
            # closes (else its email would go again when its lease ends).
            await pacer.handovers.finish(grace=LINE_FINISH_SECONDS)
            await channels.email.close()
            await outcomes.close()

    async def sms_sender(runtime: ServiceRuntime) -> None:
        pacer = Pacer(per_second=s.sms_per_second, concurrency=s.sms_concurrency)
        # Outcomes side by side, each a single short statement: a few connections.
        outcomes = DriverOutcomeLog(
            asyncpg_dsn(runtime.engine.url), connections=max(1, s.sms_concurrency // 4)
        )
        try:
            await channel_loop(
                SMS,
                container.uow,
                channels.sms,
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
            await channels.sms.close()
            await outcomes.close()

    async def parking_sweeper(_runtime: ServiceRuntime) -> None:
        await parking_loop(container.uow, notifier, every=s.park_check_seconds)

    return [delivery_listener, email_sender, sms_sender, parking_sweeper]
