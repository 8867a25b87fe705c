"""The Kafka side of an EventConsumer: group members that fetch batches and commit.

One aiokafka consumer per worker (up to one per partition), all in the
consumer's group, so the broker spreads the partitions over them and a
partition that is retrying holds back only its own member. Each member takes
whatever its fetcher has buffered, hands every partition's records to
`EventConsumer.process_batch` (one transaction for the lot when it can), and
commits the partition's offset only after that returned.

Why not FastStream's subscriber: its per-partition workers (`max_workers`)
deliver one message at a time and its batch mode has one member for all
partitions; per-message transactions and dependency injection cost ~2 ms of
CPU per event, which capped a service at ~300 events/s on two cores.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from aiokafka.structs import TopicPartition

from careflow.shared.messaging.kafka_client import disable_topic_auto_creation
from careflow.shared.settings import BrokerSettings
from careflow.shared.tasks import cancel_and_wait

if TYPE_CHECKING:
    from careflow.shared.messaging.consumer import EventConsumer

log = logging.getLogger(__name__)


class Subscription:
    """Runs `consumer`'s group members until stopped."""

    def __init__(
        self, consumer: EventConsumer[Any], broker: BrokerSettings, *, client_id: str
    ) -> None:
        self.consumer = consumer
        self._broker = broker
        self._client_id = client_id
        self._members: list[AIOKafkaConsumer] = []
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def workers(self) -> int:
        settings = self.consumer.settings
        return min(settings.max_workers, self.consumer.topic.partitions)

    async def start(self) -> None:
        disable_topic_auto_creation()
        settings = self.consumer.settings
        for index in range(self.workers):
            member = AIOKafkaConsumer(
                self.consumer.topic.name,
                bootstrap_servers=self._broker.bootstrap_servers,
                client_id=f"{self._client_id}-{index}",
                group_id=self.consumer.group,
                enable_auto_commit=False,
                auto_offset_reset=settings.auto_offset_reset,
                fetch_max_wait_ms=settings.fetch_max_wait_ms,
                max_poll_records=settings.batch_max_records,
                request_timeout_ms=self._broker.request_timeout_ms,
            )
            await member.start()
            self._members.append(member)
            self._tasks.append(
                asyncio.create_task(
                    self._run(member), name=f"consume-{self.consumer.topic.name}-{index}"
                )
            )

    async def stop(self) -> None:
        for task in self._tasks:
            await cancel_and_wait(task)
        self._tasks.clear()
        for member in self._members:
            try:
                await member.stop()
            except KafkaError as exc:  # leaving a group the broker forgot is harmless
                log.warning("consumer stop: %s", type(exc).__name__)
        self._members.clear()

    def assignments(self) -> list[set[TopicPartition]]:
        """The partitions each member owns right now (empty sets before the group joined)."""
        return [set(member.assignment()) for member in self._members]

    async def _run(self, member: AIOKafkaConsumer) -> None:
        settings = self.consumer.settings
        while True:
            try:
                fetched = await member.getmany(
                    timeout_ms=1000, max_records=settings.batch_max_records
                )
            except KafkaError as exc:
                log.warning("fetch failed, retrying: %s", type(exc).__name__)
                await asyncio.sleep(settings.retry_initial_seconds)
                continue
            for tp, records in fetched.items():
                try:
                    await self.consumer.process_batch(records)
                except Exception as exc:
                    # process_batch dead-letters bad messages and retries outages
                    # itself; reaching here is a bug. Never commit past it.
                    log.error("batch failed on %s[%d]: %s", tp.topic, tp.partition, repr(exc))
                    member.seek(tp, records[0].offset)
                    await asyncio.sleep(settings.retry_max_seconds)
                    continue
                await self._commit(member, tp, records[-1].offset + 1)

    @staticmethod
    async def _commit(member: AIOKafkaConsumer, tp: TopicPartition, offset: int) -> None:
        try:
            await member.commit({tp: offset})
        except (CommitFailedError, IllegalStateError, KafkaError) as exc:
            # The partition moved to another member during a rebalance, or the
            # broker is away: the partition is re-read from the last commit
            # and the inbox drops what was already applied.
            log.warning("offset commit skipped (%s)", type(exc).__name__)
