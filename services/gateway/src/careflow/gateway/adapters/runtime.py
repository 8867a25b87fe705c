"""The gateway's runtime: the platform's, without a broker.

The gateway neither publishes nor consumes events, so it starts no producer, relay,
topic keeper or consumer and does not wait for a broker; it keeps the database (its
rate-limit windows), the background loops and the operational routes. `startup` and
`shutdown` hooks open and close what the gateway holds besides (its upstream pools).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from careflow.shared.service.runtime import ServiceRuntime
from careflow.shared.tasks import cancel_and_wait

Hook = Callable[[], Awaitable[None]]


@dataclass
class EdgeRuntime(ServiceRuntime):
    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)

    async def start(self) -> None:
        await self.open_database()
        for hook in self.startup:
            await hook()
        for task in self.background:
            self._spawn(task(self), getattr(task, "__name__", "background"))

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        self._tasks.clear()
        for hook in self.shutdown:
            await hook()
        await self.engine.dispose()

    def broker_ready(self) -> bool:
        """No broker to be ready for."""
        return True
