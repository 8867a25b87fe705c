"""A relay pass sends each partition's rows as ordered batches; a failure stops the partition."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

import pytest
from aiokafka.errors import KafkaTimeoutError
from aiokafka.partitioner import DefaultPartitioner

from careflow.shared.outbox.publishing import publish_in_order

PARTITIONS = [0, 1, 2]
TOPIC = "platform.probes.v1"


def _key_on(partition: int) -> str:
    """A key the producer's partitioner maps to `partition`."""
    partitioner = DefaultPartitioner()
    while True:
        key = str(uuid.uuid4())
        if partitioner(key.encode(), PARTITIONS, PARTITIONS) == partition:
            return key


def _rows(key: str, count: int, first_id: int = 1) -> list[Any]:
    return [
        SimpleNamespace(
            id=first_id + n,
            event_id=uuid.uuid4(),
            topic=TOPIC,
            key=key,
            event_type="careflow.probe.emitted.v1",
            source="/careflow/tests",
            subject=key,
            payload=f'{{"n": {n}}}',
            headers={},
            occurred_at=datetime.now(UTC),
        )
        for n in range(count)
    ]


@dataclass
class _Batch:
    capacity: int
    records: list[bytes] = field(default_factory=list)
    closed: bool = False

    def append(self, *, timestamp: object, key: bytes, value: bytes, headers: object) -> object:
        if self.closed or (self.records and len(self.records) >= self.capacity):
            return None
        self.records.append(value)
        return object()

    def close(self) -> None:
        self.closed = True


class _Producer:
    """Records each submitted batch; its acknowledgement is settled by the test."""

    def __init__(self, capacity: int = 1000) -> None:
        self.capacity = capacity
        self.submitted: list[tuple[int, _Batch, asyncio.Future[None]]] = []
        self.submission = asyncio.Event()

    async def partitions_for(self, topic: str) -> set[int]:
        return set(PARTITIONS)

    def create_batch(self) -> _Batch:
        return _Batch(self.capacity)

    async def send_batch(
        self, batch: _Batch, topic: str, *, partition: int
    ) -> asyncio.Future[None]:
        assert batch.closed
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.submitted.append((partition, batch, future))
        self.submission.set()
        return future

    async def next_submission(self) -> tuple[int, _Batch, asyncio.Future[None]]:
        while True:
            for entry in self.submitted:
                if not entry[2].done():
                    return entry
            self.submission.clear()
            await asyncio.wait_for(self.submission.wait(), timeout=5)


async def test_a_burst_of_one_key_goes_out_as_one_batch_in_id_order() -> None:
    producer = _Producer()
    rows = _rows(_key_on(1), 500)
    publishing = asyncio.create_task(publish_in_order(producer, rows))  # type: ignore[arg-type]
    partition, batch, acked = await producer.next_submission()
    acked.set_result(None)
    sent, failure = await publishing
    assert failure is None
    assert len(producer.submitted) == 1
    assert partition == 1
    assert batch.records == [row.payload.encode() for row in rows]
    assert sent == rows


async def test_a_partitions_next_batch_waits_for_the_previous_acknowledgement() -> None:
    producer = _Producer(capacity=10)
    rows = _rows(_key_on(0), 25)
    publishing = asyncio.create_task(publish_in_order(producer, rows))  # type: ignore[arg-type]
    _p, first, acked = await producer.next_submission()
    await asyncio.sleep(0.05)  # time enough for a second submission, were it allowed
    assert len(producer.submitted) == 1
    acked.set_result(None)
    for _ in range(2):
        _p, _batch, acked = await producer.next_submission()
        acked.set_result(None)
    sent, failure = await publishing
    assert failure is None
    assert sent == rows
    assert [len(b.records) for _p, b, _f in producer.submitted] == [10, 10, 5]
    assert first.records == [row.payload.encode() for row in rows[:10]]


async def test_a_failed_batch_stops_its_partition_and_other_partitions_finish() -> None:
    producer = _Producer(capacity=10)
    failing, healthy = _rows(_key_on(0), 30), _rows(_key_on(2), 5, first_id=100)
    rows = sorted(failing + healthy, key=lambda row: row.id)
    publishing = asyncio.create_task(publish_in_order(producer, rows))  # type: ignore[arg-type]
    settled: list[int] = []
    while len(settled) < 3:
        partition, _batch, acked = await producer.next_submission()
        if partition == 0 and len([p for p in settled if p == 0]) == 1:
            acked.set_exception(KafkaTimeoutError())
        else:
            acked.set_result(None)
        settled.append(partition)
    sent, failure = await publishing
    assert isinstance(failure, KafkaTimeoutError)
    # Only the first batch of the failing key: the rows after the failure stay unpublished
    # (and its third batch is never sent), so they cannot overtake the failed one.
    assert sorted(row.id for row in sent) == sorted(row.id for row in failing[:10] + healthy)
    assert [p for p, _b, _f in producer.submitted].count(0) == 2


async def test_a_partition_lookup_failure_sends_nothing() -> None:
    producer = _Producer()

    async def unknown(topic: str) -> set[int]:
        raise KafkaTimeoutError

    producer.partitions_for = unknown  # type: ignore[method-assign]
    with pytest.raises(KafkaTimeoutError):
        await publish_in_order(producer, _rows(_key_on(0), 3))  # type: ignore[arg-type]
    assert producer.submitted == []
