"""The gateway's runtime: the platform's, without a broker.

The gateway neither publishes nor consumes events, so it starts no producer, relay,
topic keeper or consumer and does not wait for a broker; it keeps the database (its
rate-limit windows), the background loops and the operational routes. `startup` and
`shutdown` hooks open and close what the gateway holds besides (its upstream pools).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from careflow.shared.db.engine import create_engine, session_factory
from careflow.shared.db.migrate import migrate_async
from careflow.shared.db.schema_wait import wait_for_schema
from careflow.shared.service.runtime import ServiceRuntime
from careflow.shared.tasks import cancel_and_wait
from careflow.shared.telemetry.sql import observe_pool, trace_engine

Hook = Callable[[], Awaitable[None]]


@dataclass
class EdgeRuntime(ServiceRuntime):
    startup: list[Hook] = field(default_factory=list)
    shutdown: list[Hook] = field(default_factory=list)

    async def start(self) -> None:
        settings = self.settings
        if self.migrations is not None and settings.database.migrate_on_start:
            await migrate_async(self.migrations, settings.database)
        self.engine = create_engine(settings.database, application_name=f"careflow-{self.name}")
        trace_engine(self.engine)
        observe_pool(self.engine, self.name)
        self.sessions = session_factory(self.engine)
        if self.migrations is not None and not settings.database.migrate_on_start:
            await wait_for_schema(self.migrations, self.engine, service=self.name)
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
