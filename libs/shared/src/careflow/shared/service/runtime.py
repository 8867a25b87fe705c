"""Everything one service process connects to, built in its lifespan, nowhere else."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError
from aiokafka.structs import TopicPartition
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from careflow.contracts.registry import TOPICS
from careflow.contracts.topics import TopicRegistry, TopicSpec
from careflow.shared.db.engine import create_engine, session_factory
from careflow.shared.db.migrate import migrate_async
from careflow.shared.db.schema_wait import wait_for_schema
from careflow.shared.messaging.consumer import EventConsumer
from careflow.shared.messaging.producer import create_producer
from careflow.shared.messaging.subscription import Subscription
from careflow.shared.messaging.topics import TopicKeeper, ensure_topics
from careflow.shared.outbox.relay import OutboxRelay
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork
from careflow.shared.settings import ServiceSettings
from careflow.shared.tasks import cancel_and_wait
from careflow.shared.telemetry.sql import observe_pool, trace_engine

log = logging.getLogger(__name__)

REPUBLISH_SQL = text("UPDATE outbox SET published_at = NULL WHERE published_at >= :since")
#: The events the last process marked published within `window` seconds of its last
#: mark (see ServiceRuntime._republish_tail).
REPUBLISH_TAIL_SQL = text(
    "UPDATE outbox SET published_at = NULL WHERE published_at >= "
    "(SELECT max(published_at) FROM outbox) - make_interval(secs => :window)"
)

UoW = TypeVar("UoW", bound=SqlUnitOfWork)
ConsumerFactory = Callable[["ServiceRuntime"], Iterable[EventConsumer[SqlUnitOfWork]]]
#: A service's own long-running loop (e.g. a scheduler), started after the relay.
BackgroundTask = Callable[["ServiceRuntime"], Coroutine[object, object, None]]


def pool_shortfall(settings: ServiceSettings) -> str | None:
    """Why the database pool cannot keep a connection for every request admission lets
    run at once, or None when it can. Beyond pool_size the pool opens and closes a
    connection per checkout, and a burst then pays a connection per request just when
    it is short of time (see DatabaseSettings.pool_size)."""
    admitted, kept = settings.admission.max_in_flight, settings.database.pool_size
    if admitted > kept:
        return (
            f"admission lets {admitted} requests run at once but the database pool keeps "
            f"{kept} connections: under load each request beyond {kept} opens and closes "
            "a connection of its own (raise DATABASE__POOL_SIZE or lower "
            "ADMISSION__MAX_IN_FLIGHT)"
        )
    return None


@dataclass
class ServiceRuntime:
    """Engine, producer, subscriptions, relay and topic keeper of one process."""

    settings: ServiceSettings
    name: str
    migrations: Path | None = None
    topics: TopicRegistry = TOPICS
    consumer_factory: ConsumerFactory | None = None
    background: list[BackgroundTask] = field(default_factory=list)
    engine: AsyncEngine = field(init=False)
    sessions: async_sessionmaker[AsyncSession] = field(init=False)
    producer: AIOKafkaProducer = field(init=False)
    subscriptions: list[Subscription] = field(init=False)
    keeper: TopicKeeper = field(init=False)
    relay: OutboxRelay = field(init=False)
    consumers: list[EventConsumer[SqlUnitOfWork]] = field(init=False)
    #: Names of background tasks that ended with an error (liveness fails on any).
    dead_tasks: list[str] = field(default_factory=list, init=False)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list, init=False)

    def uow(self) -> SqlUnitOfWork:
        return self.unit_of_work(SqlUnitOfWork)

    def unit_of_work(self, kind: type[UoW]) -> UoW:
        """A unit of work of the platform's kind or a service's subclass of it, on this
        process's sessions, its commits waking this process's relay."""
        return kind(
            self.sessions,
            source=self.source,
            topics=self.topics,
            shards=self.settings.relay.shards,
            events_committed=self._events_committed,
        )

    def _events_committed(self) -> None:
        # The relay wakes on this process's commits (careflow.shared.outbox.relay); it
        # exists once the runtime has started.
        relay: OutboxRelay | None = self.__dict__.get("relay")
        if relay is not None:
            relay.wake()

    @property
    def source(self) -> str:
        return f"/careflow/{self.name}"

    @property
    def topic_specs(self) -> list[TopicSpec]:
        return list(self.topics)

    async def open_database(self) -> None:
        """Migrates (or waits for the migration Job), then opens the traced engine."""
        if shortfall := pool_shortfall(self.settings):
            log.warning(shortfall)
        database = self.settings.database
        if self.migrations is not None and database.migrate_on_start:
            await migrate_async(self.migrations, database)
        self.engine = create_engine(database, application_name=f"careflow-{self.name}")
        trace_engine(self.engine)
        observe_pool(self.engine, self.name)
        self.sessions = session_factory(self.engine)
        if self.migrations is not None and not database.migrate_on_start:
            await wait_for_schema(self.migrations, self.engine, service=self.name)

    async def start(self) -> None:
        settings = self.settings
        await self.open_database()
        await self._wait_for_broker()
        self.producer = create_producer(settings.broker, client_id=f"{self.name}-relay")
        await self.producer.start()
        self.keeper = TopicKeeper(
            settings.broker,
            self.topic_specs,
            on_missing=self._before_topics_recreated,
            on_lost=self._recover_lost_broker,
        )
        self.relay = OutboxRelay(
            self.engine, self.producer, settings.relay, service=self.name, broker_health=self.keeper
        )
        await self._subscribe()
        self._spawn(self.keeper.run(), "topic-keeper")
        if settings.relay.enabled:
            await self._republish_tail()
            self._spawn(self.relay.run(), "outbox-relay")
        for task in self.background:
            self._spawn(task(self), getattr(task, "__name__", "background"))

    async def _subscribe(self) -> None:
        if not hasattr(self, "consumers"):
            self.consumers = list(self.consumer_factory(self) if self.consumer_factory else ())
        self.subscriptions = [
            Subscription(
                consumer,
                self.settings.broker,
                client_id=f"{self.name}-consumer",
                gate=self.keeper,
            )
            for consumer in self.consumers
        ]
        # Each consumer is its own group: they join side by side, not one after another.
        await asyncio.gather(*(subscription.start() for subscription in self.subscriptions))

    async def _unsubscribe(self) -> None:
        for subscription in self.subscriptions:
            await subscription.stop()
        self.subscriptions = []

    def assignments(self) -> list[set[TopicPartition]]:
        """Partitions per group member of every subscription (empty until joined)."""
        return [owned for s in self.subscriptions for owned in s.assignments()]

    async def _before_topics_recreated(self) -> None:
        """Topics are missing and about to be re-created (the keeper marked the broker
        not ready): no consumer may keep its old positions, no relay pass may span it."""
        await self._unsubscribe()
        await self.relay.quiesce()

    async def _recover_lost_broker(self, since: datetime) -> None:
        """The broker lost its topics: re-publish what it may have lost, re-subscribe.

        Events marked published since the last check that still found the topics
        may have been acknowledged into the void; they go out again (consumers'
        inboxes drop duplicates). Fresh consumers join from the earliest offset,
        because the old members' groups and offsets no longer exist on the
        broker; the old ones were stopped before the topics were re-created.
        """
        async with self.engine.begin() as conn:
            result = await conn.execute(REPUBLISH_SQL, {"since": since})
        log.warning("broker lost state: re-publishing %d events", result.rowcount)
        await self._unsubscribe()
        await self._subscribe()

    async def _republish_tail(self) -> None:
        """A process killed before its keeper noticed a broker that lost its state (down
        while it died, or back but not yet checked) took that knowledge with it: what it
        marked published after its keeper's last check may be gone. That check ran at
        most one keeper interval before the last mark, so the events marked within two
        intervals (and a second of slack) of the last mark go out again at start;
        consumers' inboxes drop the duplicates. Seen in `make chaos`: intake killed
        seconds after a broker restart, one case never reached the queue."""
        window = 2 * self.keeper.interval + 1.0
        async with self.engine.begin() as conn:
            result = await conn.execute(REPUBLISH_TAIL_SQL, {"window": window})
        if result.rowcount:
            log.info("re-publishing the last %d events of the previous process", result.rowcount)

    async def _wait_for_broker(self, attempts: int = 60) -> None:
        for attempt in range(attempts):
            try:
                if self.settings.broker.create_topics:
                    await ensure_topics(self.settings.broker, self.topic_specs)
                return
            except (KafkaConnectionError, OSError) as exc:
                if attempt == attempts - 1:
                    raise
                log.warning("broker not reachable yet: %s", type(exc).__name__)
                await asyncio.sleep(1)

    def _spawn(self, coro: object, name: str) -> None:
        task = asyncio.create_task(coro, name=name)  # type: ignore[arg-type]
        task.add_done_callback(self._note_death)
        self._tasks.append(task)

    def _note_death(self, task: asyncio.Task[None]) -> None:
        """A background task must run until stop(): one that died leaves the process
        answering while, say, its outbox is never published. Liveness then fails, so
        the orchestrator restarts the process."""
        if not task.cancelled() and task.exception() is not None:
            log.critical("background task %s died: %r", task.get_name(), task.exception())
            self.dead_tasks.append(task.get_name())

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        self._tasks.clear()
        await self._unsubscribe()
        await self.producer.stop()
        await self.engine.dispose()

    async def database_ready(self) -> bool:
        try:
            async with self.engine.connect() as conn:
                async with asyncio.timeout(2):
                    await conn.execute(text("SELECT 1"))
            return True
        except Exception:
            return False

    def broker_ready(self) -> bool:
        return self.keeper.ready.is_set()
