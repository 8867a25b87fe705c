"""The background loops of a complaints process: delivery to clinics' own systems, the
region sync with the e-services directory and the overdue count."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from careflow.complaints.adapters.telemetry import OVERDUE
from careflow.complaints.application.audit import count_overdue
from careflow.complaints.application.clinics import sync_regions
from careflow.complaints.application.integration import deliver_due
from careflow.complaints.bootstrap import Container
from careflow.complaints.domain.errors import DirectoryUnavailable
from careflow.shared.service.runtime import BackgroundTask, ServiceRuntime

logger = logging.getLogger(__name__)


def background(container: Container) -> list[BackgroundTask]:
    s, ctx = container.settings, container.context
    tasks: list[BackgroundTask] = []

    async def overdue_counter(_runtime: ServiceRuntime) -> None:
        async def once() -> float:
            OVERDUE.set(await count_overdue(ctx))
            return s.overdue_count_seconds

        await _every(once, "overdue count")

    tasks.append(overdue_counter)

    if s.delivery.enabled:

        async def case_sender(_runtime: ServiceRuntime) -> None:
            async def once() -> float:
                claimed = await deliver_due(ctx, s.delivery.batch_size)
                # A full batch: more may be due at once.
                return 0 if claimed >= s.delivery.batch_size else s.delivery.idle_poll_seconds

            try:
                await _every(once, "delivery")
            finally:
                await container.case_system.close()

        tasks.append(case_sender)

    if s.directory.url and s.directory.sync_seconds > 0:

        async def region_sync(_runtime: ServiceRuntime) -> None:
            async def once() -> float:
                try:
                    moved = await sync_regions(ctx)
                    logger.info("directory sync: %d clinics changed region", moved)
                except DirectoryUnavailable:
                    logger.warning("directory sync: the directory did not answer")
                return s.directory.sync_seconds

            try:
                await _every(once, "directory sync")
            finally:
                await container.directory.close()

        tasks.append(region_sync)
    return tasks


async def _every(once: Callable[[], Awaitable[float]], name: str) -> None:
    """Runs `once` until cancelled, waiting what it returns; an error is logged (type only:
    messages may quote row values) and retried after a second."""
    while True:
        try:
            pause = await once()
        except asyncio.CancelledError:
            raise
        except Exception as error:
            logger.warning("%s pass failed: %s", name, type(error).__name__)
            pause = 1.0
        if pause:
            await asyncio.sleep(pause)
        else:
            await asyncio.sleep(0)
