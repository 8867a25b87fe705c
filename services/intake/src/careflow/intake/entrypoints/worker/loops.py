"""The background loops of an intake process: the 72-hour closer and the parked-event sweeper."""

from __future__ import annotations

from careflow.intake.bootstrap import Container
from careflow.shared.service.runtime import BackgroundTask, ServiceRuntime


def background(container: Container) -> list[BackgroundTask]:
    """The loops the settings switch on; each runs until the runtime stops."""
    loops: list[BackgroundTask] = []

    async def proposal_closer(_: ServiceRuntime) -> None:
        await container.closer.run()

    async def parked_event_sweeper(runtime: ServiceRuntime) -> None:
        await container.parked_event_sweeper(runtime).run()

    if container.settings.closer.enabled:
        loops.append(proposal_closer)
    # The sweeper finishes what the consumers parked: it runs where they run.
    if container.settings.consumers_enabled:
        loops.append(parked_event_sweeper)
    return loops
