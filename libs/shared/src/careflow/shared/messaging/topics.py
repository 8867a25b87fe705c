"""Creating the registry's topics (and their dead-letter twins) on the broker.

Start-up creates them; a `TopicKeeper` re-creates them when they vanish (a
broker restart with memory storage, or a new cluster), so producers and
consumers recover without a service restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaError, TopicAlreadyExistsError

from careflow.contracts.topics import TopicSpec
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


async def ensure_topics(settings: BrokerSettings, specs: Iterable[TopicSpec]) -> list[str]:
    """Create the missing topics; returns the names created."""
    wanted = new_topics(specs, settings.topic_replication_factor)
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.bootstrap_servers,
        request_timeout_ms=settings.request_timeout_ms,
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [t for t in wanted if t.name not in existing]
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
    """Checks the topics periodically and whenever told a topic is missing."""

    def __init__(
        self, settings: BrokerSettings, specs: Iterable[TopicSpec], interval: float = 5.0
    ) -> None:
        self._settings = settings
        self._specs = list(specs)
        self._interval = interval
        self._wake = asyncio.Event()
        self.ready = asyncio.Event()

    def nudge(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        while True:
            try:
                await ensure_topics(self._settings, self._specs)
                self.ready.set()
            except (KafkaError, OSError) as exc:
                self.ready.clear()
                log.warning("broker unreachable for topic check: %s", type(exc).__name__)
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)
