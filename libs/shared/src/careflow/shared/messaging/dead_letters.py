"""Dead-letter topic records: the original message plus why it failed.

A dead letter is written before its partition moves on, and a write that fails
for a reason that heals (broker or network away) is retried, with capped
backoff, until it succeeds: the partition's worker waits meanwhile, so its
offset is never committed past a message that is in neither the topic's
processed history nor the dead-letter topic. Moving on without it would lose
the message on the next crash or rebalance; parking it in memory would only
trade that for unbounded memory while the broker (usually the very one the
partition is read from) is away. The wait is visible, never silent: a warning
per failed attempt and `careflow_consumer_partitions_blocked_on_dlq`.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from careflow.shared.messaging.errors import is_transient
from careflow.shared.telemetry.metrics import CONSUMER_METRICS

log = logging.getLogger(__name__)

DLQ_PREFIX = "dlq_"
H_REASON = "dlq_reason"
H_CODE = "dlq_code"
H_TOPIC = "dlq_original_topic"
H_PARTITION = "dlq_original_partition"
H_OFFSET = "dlq_original_offset"
H_GROUP = "dlq_consumer_group"
H_FAILED_AT = "dlq_failed_at"
H_REPLAYS = "dlq_replays"


def dead_letter_headers(
    record: ConsumerRecord, *, reason: str, code: str, group: str
) -> list[tuple[str, bytes]]:
    original = [(k, v) for k, v in (record.headers or ()) if not k.startswith(DLQ_PREFIX)]
    replays = header(record.headers or (), H_REPLAYS) or "0"
    return [
        *original,
        (H_REASON, reason[:1000].encode()),
        (H_CODE, code.encode()),
        (H_TOPIC, record.topic.encode()),
        (H_PARTITION, str(record.partition).encode()),
        (H_OFFSET, str(record.offset).encode()),
        (H_GROUP, group.encode()),
        (H_FAILED_AT, datetime.now(UTC).isoformat().encode()),
        (H_REPLAYS, replays.encode()),
    ]


def header(headers: Sequence[tuple[str, bytes]], name: str) -> str | None:
    for key, value in headers:
        if key == name:
            return value.decode(errors="replace")
    return None


async def send_to_dlq(
    producer: AIOKafkaProducer,
    record: ConsumerRecord,
    *,
    dlq_topic: str,
    reason: str,
    code: str,
    group: str,
) -> None:
    await producer.send_and_wait(
        dlq_topic,
        value=record.value,
        key=record.key,
        headers=dead_letter_headers(record, reason=reason, code=code, group=group),
    )


async def write_dead_letter(
    producer: AIOKafkaProducer,
    record: ConsumerRecord,
    *,
    dlq_topic: str,
    reason: str,
    code: str,
    group: str,
    initial_seconds: float,
    max_seconds: float,
) -> None:
    """Returns once the dead letter is written; raises only for a failure that
    retrying cannot heal (the subscription then reads the partition again)."""
    labels = {"topic": record.topic, "group": group}
    failures = 0
    try:
        while True:
            try:
                await send_to_dlq(
                    producer, record, dlq_topic=dlq_topic, reason=reason, code=code, group=group
                )
            except Exception as exc:
                if not is_transient(exc):
                    raise
                failures += 1
                if failures == 1:
                    CONSUMER_METRICS.blocked_on_dead_letter.add(1, labels)
                CONSUMER_METRICS.dead_letter_retries.add(1, labels)
                # Capped exponential backoff with jitter, so that partitions waiting on
                # one broker do not retry in step.
                delay = min(max_seconds, initial_seconds * 2 ** (failures - 1))
                delay *= random.uniform(0.5, 1.0)
                # Where and why only: the message itself may hold health data.
                log.warning(
                    "dead letter for %s[%d]@%d (%s) not written, attempt %d (%s); "
                    "partition held, retrying in %.1fs",
                    record.topic,
                    record.partition,
                    record.offset,
                    code,
                    failures,
                    type(exc).__name__,
                    delay,
                )
                await asyncio.sleep(delay)
                continue
            if failures:
                log.warning(
                    "dead letter for %s[%d]@%d written after %d failed attempts",
                    record.topic,
                    record.partition,
                    record.offset,
                    failures,
                )
            return
    finally:
        if failures:
            CONSUMER_METRICS.blocked_on_dead_letter.add(-1, labels)
