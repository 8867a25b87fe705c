"""Reading partitions to their end, whatever end offset the broker reports.

Tansu answers ListOffsets(latest) with the base offset of the partition's last
record batch + 1, not the offset after its last record: after one producer
batch of five records at offsets 0-4 it reports 1. A reader that stops at the
reported end (or drops records at or past it) silently misses the rest of that
batch. So a partition counts as read only when its position has reached the
reported end AND a whole fetch wait brought nothing more for it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.structs import ConsumerRecord

# Long enough for a fetch to return what the broker holds; every read pays it once at the end.
IDLE_FETCH_MS = 500


async def read_to_end(
    consumer: AIOKafkaConsumer,
    partitions: Iterable[TopicPartition],
    *,
    idle_fetch_ms: int = IDLE_FETCH_MS,
) -> AsyncIterator[ConsumerRecord]:
    """Every record from each partition's current position to its end, partition order kept."""
    pending = set(partitions)
    if not pending:
        return
    reported_end = await consumer.end_offsets(list(pending))
    while pending:
        batch = await consumer.getmany(*pending, timeout_ms=idle_fetch_ms)
        for records in batch.values():
            for record in records:
                yield record
        pending = {
            tp for tp in pending if batch.get(tp) or await consumer.position(tp) < reported_end[tp]
        }


async def positions_at_end(
    consumer: AIOKafkaConsumer, partitions: Iterable[TopicPartition]
) -> dict[TopicPartition, int]:
    """The true end of each partition: seeks to the reported end, then reads past what it missed."""
    tps = list(partitions)
    await consumer.seek_to_end(*tps)
    async for _ in read_to_end(consumer, tps):
        pass
    return {tp: await consumer.position(tp) for tp in tps}
