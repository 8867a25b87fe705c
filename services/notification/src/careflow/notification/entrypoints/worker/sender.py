"""The sender loops: one per channel (an SMTP outage never holds SMS back), and the parking
sweeper. Started by the runtime as background tasks; replicas share rows via SKIP LOCKED."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from careflow.notification.adapters.unit_of_work import NotificationUnitOfWork
from careflow.notification.application.context import Notifier
from careflow.notification.application.notify import expire_parked
from careflow.notification.application.ports import ChannelSender
from careflow.notification.application.send import send_next

log = logging.getLogger(__name__)


async def channel_loop(
    channel: str,
    uow_factory: Callable[[], NotificationUnitOfWork],
    sender: ChannelSender,
    notifier: Notifier,
    *,
    per_second: float,
    idle_poll_seconds: float,
) -> None:
    """Sends due deliveries as fast as the channel's rate limit allows, then polls."""
    spacing = 1.0 / per_second if per_second > 0 else 0.0
    while True:
        try:
            status = await send_next(channel, uow_factory, sender, notifier)
        except Exception as exc:  # the database is down, say: wait and try again
            log.warning("%s sender failed: %s; retrying", channel, type(exc).__name__)
            await asyncio.sleep(idle_poll_seconds)
            continue
        if status is None:
            await asyncio.sleep(idle_poll_seconds)
        elif spacing:
            await asyncio.sleep(spacing)


async def parking_loop(
    uow_factory: Callable[[], NotificationUnitOfWork], notifier: Notifier, *, every: float
) -> None:
    """Suppresses, with their reason, requests parked longer than the timeout."""
    while True:
        try:
            while await expire_parked(uow_factory(), notifier) > 0:
                pass
        except Exception as exc:
            log.warning("parking sweeper failed: %s; retrying", type(exc).__name__)
        await asyncio.sleep(every)
