"""Reading to a partition's end does not trust the end offset the broker reports."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from careflow.shared.messaging.reading import positions_at_end, read_to_end


async def _topic_with_batches(bootstrap: str, batches: list[int]) -> TopicPartition:
    topic = f"test.reading.{uuid.uuid4().hex[:8]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        await admin.close()
    # linger: each group of sends leaves the producer as one multi-record batch
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=100)
    await producer.start()
    try:
        n = 0
        for size in batches:
            futures = [await producer.send(topic, b"%d" % (n + i)) for i in range(size)]
            await asyncio.gather(*futures)
            n += size
    finally:
        await producer.stop()
    return TopicPartition(topic, 0)


async def test_every_record_of_the_last_batch_is_read(kafka):
    tp = await _topic_with_batches(kafka.bootstrap_servers, [5, 3])
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        values = [record.value async for record in read_to_end(consumer, [tp])]
    finally:
        await consumer.stop()
    assert values == [b"%d" % i for i in range(8)]


async def test_the_true_end_is_past_the_last_record(kafka):
    tp = await _topic_with_batches(kafka.bootstrap_servers, [4, 4])
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka.bootstrap_servers)
    await consumer.start()
    try:
        consumer.assign([tp])
        assert await positions_at_end(consumer, [tp]) == {tp: 8}
    finally:
        await consumer.stop()
