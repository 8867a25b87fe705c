"""The sender loops, one per channel (an SMTP outage never holds SMS back), and the parking
sweeper. Started by the runtime as background tasks (loops.py); replicas share rows via SKIP LOCKED.

Per channel, `workers` passes run at once (while one waits on its sends, another
claims and commits); each pass claims up to `batch_size` due deliveries and sends
them concurrently, all passes of the channel sharing one Pacer (sends in flight,
provider rate limit). An idle pass sleeps until a NOTIFY says deliveries were
queued, the next retry falls due, or `idle_poll_seconds` pass.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import timedelta

from careflow.notification.adapters.wakeup import Wakeup
from careflow.notification.application.context import Notifier
from careflow.notification.application.notify import expire_parked
from careflow.notification.application.pacing import Pacer
from careflow.notification.application.ports import ChannelSender, OutcomeLog, UnitOfWork
from careflow.notification.application.send import DEFAULT_LEASE, send_due

log = logging.getLogger(__name__)


async def channel_loop(
    channel: str,
    uow_factory: Callable[[], UnitOfWork],
    sender: ChannelSender,
    notifier: Notifier,
    *,
    pacer: Pacer,
    wakeup: Wakeup,
    workers: int,
    batch_size: int,
    idle_poll_seconds: float,
    lease: timedelta = DEFAULT_LEASE,
    outcomes: OutcomeLog | None = None,
) -> None:
    """Sends due deliveries as fast as the channel's pacing allows, until cancelled.
    `outcomes`: where each outcome is recorded (application.send)."""

    async def work() -> None:
        while True:
            woken = wakeup.current()  # taken before looking, so no wake-up is missed
            try:
                statuses = await send_due(
                    channel,
                    uow_factory,
                    sender,
                    notifier,
                    limit=batch_size,
                    pacer=pacer,
                    lease=lease,
                    outcomes=outcomes,
                )
            except Exception as exc:  # the database is down, say: wait and try again
                log.warning("%s sender failed: %s; retrying", channel, type(exc).__name__)
                await asyncio.sleep(idle_poll_seconds)
                continue
            if not statuses:
                wait = await _until_next_due(channel, uow_factory, notifier, idle_poll_seconds)
                with contextlib.suppress(TimeoutError):
                    # asyncio.timeout, not wait_for: on 3.11 wait_for can swallow a
                    # cancellation that races the wake-up, and stopping would hang.
                    async with asyncio.timeout(wait):
                        await woken.wait()

    async with asyncio.TaskGroup() as passes:
        for _ in range(workers):
            passes.create_task(work())


async def _until_next_due(
    channel: str,
    uow_factory: Callable[[], UnitOfWork],
    notifier: Notifier,
    idle_poll_seconds: float,
) -> float:
    """Seconds until the next retry falls due, at most the idle poll.

    A due row that could not be claimed is locked by another pass or replica:
    its outcome, not a poll, will settle it, so that waits for the poll too.
    """
    try:
        async with uow_factory() as uow:
            due = await uow.deliveries.next_due_at(channel)
    except Exception:
        return idle_poll_seconds
    if due is None:
        return idle_poll_seconds
    ahead = (due - notifier.clock()).total_seconds()
    return min(ahead, idle_poll_seconds) if ahead > 0 else idle_poll_seconds


async def parking_loop(
    uow_factory: Callable[[], UnitOfWork], notifier: Notifier, *, every: float
) -> None:
    """Suppresses, with their reason, requests parked longer than the timeout."""
    while True:
        try:
            while await expire_parked(uow_factory(), notifier) > 0:
                pass
        except Exception as exc:
            log.warning("parking sweeper failed: %s; retrying", type(exc).__name__)
        await asyncio.sleep(every)
