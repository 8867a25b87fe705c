"""Reading a dead-letter topic and re-publishing its messages to their origin."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.structs import ConsumerRecord

from careflow.shared.messaging.dead_letters import (
    DLQ_PREFIX,
    H_CODE,
    H_FAILED_AT,
    H_REASON,
    H_REPLAYS,
    H_TOPIC,
    header,
)
from careflow.shared.messaging.kafka_client import connection_options
from careflow.shared.messaging.reading import read_to_end
from careflow.shared.settings import BrokerSettings


def _connection(broker: str | BrokerSettings) -> dict[str, object]:
    """A bare bootstrap string (tests, `make run`) or the broker settings with TLS/SASL."""
    return connection_options(
        BrokerSettings(bootstrap_servers=broker) if isinstance(broker, str) else broker
    )


@dataclass(frozen=True)
class DeadLetter:
    partition: int
    offset: int
    event_id: str | None
    event_type: str | None
    original_topic: str
    code: str
    reason: str
    failed_at: str
    replays: int
    record: ConsumerRecord


async def read_dead_letters(broker: str | BrokerSettings, dlq_topic: str) -> list[DeadLetter]:
    """Everything currently on `dlq_topic`, without joining a consumer group."""
    consumer = AIOKafkaConsumer(**_connection(broker), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(dlq_topic)
        if partitions is None:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(dlq_topic) or set()
        assigned = [TopicPartition(dlq_topic, p) for p in sorted(partitions)]
        if not assigned:
            return []
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        letters = [_letter(record) async for record in read_to_end(consumer, assigned)]
        return sorted(letters, key=lambda d: (d.partition, d.offset))
    finally:
        await consumer.stop()


def _letter(record: ConsumerRecord) -> DeadLetter:
    headers = record.headers or ()
    return DeadLetter(
        partition=record.partition,
        offset=record.offset,
        event_id=header(headers, "ce_id"),
        event_type=header(headers, "ce_type"),
        original_topic=header(headers, H_TOPIC) or record.topic.removesuffix(".dlq"),
        code=header(headers, H_CODE) or "",
        reason=header(headers, H_REASON) or "",
        failed_at=header(headers, H_FAILED_AT) or "",
        replays=int(header(headers, H_REPLAYS) or 0),
        record=record,
    )


async def replay(
    broker: str | BrokerSettings,
    letters: Iterable[DeadLetter],
    *,
    enable_idempotence: bool = False,
) -> int:
    """Re-publishes each letter to its original topic with the original key and headers."""
    producer = AIOKafkaProducer(
        **_connection(broker), acks="all", enable_idempotence=enable_idempotence
    )
    await producer.start()
    try:
        futures = []
        for letter in letters:
            original = [
                (k, v) for k, v in letter.record.headers or () if not k.startswith(DLQ_PREFIX)
            ]
            original.append((H_REPLAYS, str(letter.replays + 1).encode()))
            futures.append(
                await producer.send(
                    letter.original_topic,
                    value=letter.record.value,
                    key=letter.record.key,
                    headers=original,
                )
            )
        await asyncio.gather(*futures)
        return len(futures)
    finally:
        await producer.stop()
