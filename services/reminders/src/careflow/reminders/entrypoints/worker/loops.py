"""The background loop of a reminders process: the scheduler."""

from __future__ import annotations

from careflow.reminders.application.scheduler import scheduler_loop
from careflow.reminders.bootstrap import Container
from careflow.shared.service.runtime import BackgroundTask, ServiceRuntime


def background(container: Container) -> list[BackgroundTask]:
    """The scheduler runs in every replica: claims skip rows another replica holds."""
    s = container.settings.scheduler
    if not s.enabled:
        return []

    async def reminder_scheduler(_: ServiceRuntime) -> None:
        await scheduler_loop(
            container.uow,  # type: ignore[arg-type]
            container.clock,
            batch_size=s.batch_size,
            poll_seconds=s.poll_seconds,
        )

    return [reminder_scheduler]
