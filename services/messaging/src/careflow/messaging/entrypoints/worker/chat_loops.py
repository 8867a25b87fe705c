"""The chat half's background loops: the nudge listener and the feeds' poll, the opening-hours
timer, the idle sweeper.

The timer and the sweeper are durable: what is due lives in PostgreSQL
(`chat_channels.next_transition_at`, `chats.last_activity_at`), every replica
runs both, and `FOR UPDATE SKIP LOCKED` hands each due row to one of them — a
boundary passed while every replica was down is applied at the next pass.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Any

from careflow.messaging.adapters.chat_signals import listen
from careflow.messaging.application.channels import apply_due_schedules
from careflow.messaging.application.chat_flow import expire_idle_chats
from careflow.shared.db.engine import asyncpg_dsn
from careflow.shared.service.runtime import BackgroundTask, ServiceRuntime

log = logging.getLogger(__name__)
BATCH = 100


def chat_background(container: Any) -> list[BackgroundTask]:
    """The nudge listener and the feeds' poll always (sockets need them); the timers unless
    switched off."""
    settings = container.settings.chat

    async def nudge_listener(runtime: ServiceRuntime) -> None:
        await listen(asyncpg_dsn(runtime.engine.url), container.chat_hub)

    async def feed_poll(_runtime: ServiceRuntime) -> None:
        while True:
            await asyncio.sleep(settings.poll_seconds)
            try:
                await container.chat_deliveries.poll()
            except Exception:  # the next pass looks again; nudges still deliver meanwhile
                log.warning("chat feed poll failed", exc_info=True)

    async def opening_hours_timer(_runtime: ServiceRuntime) -> None:
        await _every(settings.timer_seconds, lambda: apply_due_schedules(
            container.chat_uow(), now=container.clock(), limit=BATCH
        ))  # fmt: skip

    async def idle_sweeper(_runtime: ServiceRuntime) -> None:
        idle = timedelta(seconds=settings.idle_seconds)
        await _every(settings.timer_seconds, lambda: expire_idle_chats(
            container.chat_uow(), idle_after=idle, now=container.clock(), limit=BATCH
        ))  # fmt: skip

    if not settings.loops_enabled:
        return [nudge_listener, feed_poll]
    return [nudge_listener, feed_poll, opening_hours_timer, idle_sweeper]


async def _every(seconds: float, one_pass: Any) -> None:
    while True:
        try:
            while await one_pass() >= BATCH:
                pass  # a backlog (after downtime): drain it before sleeping
        except Exception:  # a failed pass is retried at the next tick; the rows stay due
            log.exception("chat timer pass failed")
        await asyncio.sleep(seconds)
