"""Dead-letter topic records: the original message plus why it failed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

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
