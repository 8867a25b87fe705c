"""Creating the registry's topics (and their dead-letter twins) on the broker.

Start-up creates them; a `TopicKeeper` re-creates them when they vanish (a
broker restart with memory storage, or a new cluster), so producers and
consumers recover without a service restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from careflow.contracts.topics import TopicSpec
from careflow.shared.messaging.kafka_client import connection_options
from careflow.shared.settings import BrokerSettings

log = logging.getLogger(__name__)


def new_topics(specs: Iterable[TopicSpec], replication: int) -> list[NewTopic]:
    topics: list[NewTopic] = []
    for spec in specs:
        topics.append(
            NewTopic(spec.name, spec.partitions, replication, topic_configs=spec.topic_configs())
        )
        topics.append(
            NewTopic(
                spec.dlq,
                spec.partitions,
                replication,
                topic_configs={"retention.ms": str(spec.dlq_retention_ms)},
            )
        )
    return topics


async def ensure_topics(
    settings: BrokerSettings,
    specs: Iterable[TopicSpec],
    *,
    before_create: Callable[[list[str]], Awaitable[None]] | None = None,
) -> list[str]:
    """Create the missing topics (`before_create` hears of them first); returns the
    names created."""
    wanted = new_topics(specs, settings.topic_replication_factor)
    admin = AIOKafkaAdminClient(
        **connection_options(settings),
        request_timeout_ms=settings.request_timeout_ms,
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
        if missing and before_create is not None:
            await before_create([t.name for t in missing])
        created: list[str] = []
        for topic in missing:
            try:
                await admin.create_topics([topic])
                created.append(topic.name)
            except TopicAlreadyExistsError:
                pass  # another replica won the race
        if created:
            log.info("topics created", extra={"topics": created})
        return created
    finally:
        await admin.close()


class TopicKeeper:
    """Keeps the registry's topics present and notices when the broker lost them.

    Topics that vanish mean the broker lost its state (Tansu's memory storage, a
    rebuilt cluster): anything it acknowledged since the last check that still
    found them may be gone too. The keeper re-creates the topics, then calls
    `on_lost(since)` so the runtime re-publishes from the outbox and
    re-subscribes its consumers; the inbox drops what was already applied.
    While it is not `ready`, the relay holds off publishing.

    `on_missing` runs when topics are found missing, BEFORE they are re-created:
    a consumer still holding its old fetch positions would read a re-created
    topic from there and skip the first events published into it.

    Topics found present after the broker was unreachable count as lost too: the
    broker may have restarted without its state, and another service's keeper
    (or an operator) may have re-created the topics before this one looked —
    seen in `make chaos`, where every service but the first to look lost what
    the broker had acknowledged and not yet delivered. Recovering after a mere
    network blip costs a re-publication of a few seconds of events (inboxes drop
    them) and a group rejoin; missing a lost broker costs events.

    Consumers' offset commits go by `commit_horizon` (see `subscription.py`).
    """

    def __init__(
        self,
        settings: BrokerSettings,
        specs: Iterable[TopicSpec],
        *,
        # Short enough that an outage as brief as a broker restart is seen by a failed
        # check; each check is one admin connection and a topic list.
        interval: float = 2.0,
        on_lost: Callable[[datetime], Awaitable[None]] | None = None,
        on_missing: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self._settings = settings
        self._specs = list(specs)
        self.interval = interval
        self._on_lost = on_lost
        self._on_missing = on_missing
        self._recovering = False
        self._contact_lost = False
        self._wake = asyncio.Event()
        self._last_complete = datetime.now(UTC)
        # Monotonic: when the latest check that found the broker whole began, and the
        # latest moment anything suggested the broker failed or lost its state.
        self._clean_check_began = -math.inf
        self._disturbed_at = -math.inf
        self.ready = asyncio.Event()
        self.ready.set()

    async def _before_create(self, _missing: list[str]) -> None:
        self.note_disturbance()
        self.ready.clear()
        self._recovering = True
        if self._on_missing is not None:
            await self._on_missing()

    def note_disturbance(self) -> None:
        """Something may mean a broker restart (a failed fetch or check, a recovery): no
        offset of a record fetched until now is committed; nothing else changes."""
        self._disturbed_at = time.monotonic()

    def report_failure(self) -> None:
        """A client saw the broker fail: recheck now and hold publishing until then."""
        self.note_disturbance()
        self._contact_lost = True
        self.ready.clear()
        self._wake.set()

    def commit_horizon(self) -> tuple[float, float]:
        """(vouched, disturbed), monotonic seconds. The offset of a record a consumer
        fetched before `vouched` may be committed: a check that began after the fetch
        found the topics in place and nothing amiss. One fetched at or before `disturbed`
        never may: the broker may have restarted without its state since, and a commit
        landing there would be the fresh members' starting point in the re-created
        topics, skipping events."""
        return self._clean_check_began, self._disturbed_at

    async def run(self) -> None:
        while True:
            checked_at = datetime.now(UTC)
            began = time.monotonic()
            try:
                created = await ensure_topics(
                    self._settings, self._specs, before_create=self._before_create
                )
                clean = not (created or self._contact_lost or self._recovering)
                if self._contact_lost and not created and not self._recovering:
                    log.warning("broker reachable again; recovering as if it lost its state")
                    await self._before_create([])
                if (created or self._recovering) and self._on_lost is not None:
                    log.warning("broker lost %d topics; recovering", len(created))
                    self._recovering = True  # until on_lost has run to its end
                    await self._on_lost(self._last_complete)
                self._recovering = False
                self._contact_lost = False
                self._last_complete = checked_at
                if clean and began > self._disturbed_at:
                    self._clean_check_began = began
                self.ready.set()
            except (KafkaError, OSError) as exc:
                self.note_disturbance()
                self._contact_lost = True
                self.ready.clear()
                log.warning("broker unreachable for topic check: %s", type(exc).__name__)
            except Exception as exc:
                # Recovery failed half-way (the database away while re-publishing, say):
                # the consumers may be stopped, so it is tried again at the next check.
                self.note_disturbance()
                self.ready.clear()
                log.error("broker recovery failed, retrying: %s", type(exc).__name__)
            self._wake.clear()
            # asyncio.timeout, not wait_for: on 3.11 wait_for swallows a
            # cancellation that races the event, and stop() then waits forever.
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.interval):
                    await self._wake.wait()
