"""The background loops of a work-queue process: closed-queue retention and the overdue gauge."""

from __future__ import annotations

from careflow.shared.service.runtime import BackgroundTask, ServiceRuntime
from careflow.workqueue.application.overdue import overdue_loop
from careflow.workqueue.application.retention import purge_loop
from careflow.workqueue.bootstrap import Container


def background(container: Container) -> list[BackgroundTask]:
    """Both loops run in every replica: purges skip rows another replica holds, and each
    replica's gauge reports the same database-wide counts (dashboards take the max)."""
    settings = container.settings

    async def closed_queue_purger(_: ServiceRuntime) -> None:
        await purge_loop(
            container.uow, container.clock, settings.closed_retention, every=settings.purge_every
        )

    async def overdue_counter(_: ServiceRuntime) -> None:
        await overdue_loop(container.uow, container.clock, every=settings.overdue_every)

    return [closed_queue_purger, overdue_counter]
