"""Publishing one relay pass: each partition's rows as ordered record batches.

A pass's rows (in id order) are grouped by the partition their key maps to.
A partition's rows go out as record batches, each one produce request that the
broker appends whole or not at all; the next batch of that partition is sent
only once the previous one was acknowledged. Partitions go out concurrently.
So a burst of one key costs one round trip per batch (hundreds of events),
not one per event, and per-key order holds: a batch that fails stops its
partition, so no later event of its keys reaches the partition ahead of it.
Without an idempotent producer (Tansu) this is what keeps a retried event from
landing behind a later one of the same key.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import DefaultPartitioner
from opentelemetry import propagate, trace
from opentelemetry.trace import SpanKind

from careflow.contracts.envelope import Envelope

tracer = trace.get_tracer("careflow.outbox.relay")

# The producer's own partitioner: a key lands where any other producer puts it.
_partitioner = DefaultPartitioner()


class OutboxRow(NamedTuple):
    """A claimed outbox row, as a pass publishes and marks it."""

    id: int
    event_id: str
    topic: str
    key: str
    event_type: str
    source: str
    subject: str | None
    payload: str  # JSON text, sent as it is
    headers: Mapping[str, str]  # the writer's trace context
    occurred_at: datetime

    @classmethod
    def of(cls, record: Sequence[Any]) -> OutboxRow:
        """From the claim's columns, headers as JSON text (the engines' codec for jsonb)."""
        *head, headers, occurred_at = record
        return cls(*head, json.loads(headers) if headers else {}, occurred_at)


Published = tuple[list[OutboxRow], BaseException | None]
_Batch = tuple[Any, list[OutboxRow]]  # an aiokafka BatchBuilder and the rows in it


async def publish_in_order(producer: AIOKafkaProducer, rows: Sequence[OutboxRow]) -> Published:
    """Publishes `rows`; returns those acknowledged and the first failure.

    Only acknowledged rows may be marked published; a partition's rows after
    its first failed batch are not sent at all.
    """
    partitions: dict[str, list[int]] = {}
    by_partition: dict[tuple[str, int], list[OutboxRow]] = {}
    for row in rows:
        if row.topic not in partitions:
            partitions[row.topic] = sorted(await producer.partitions_for(row.topic))
        known = partitions[row.topic]
        partition = _partitioner(row.key.encode(), known, known)
        by_partition.setdefault((row.topic, partition), []).append(row)
    # Every batch is built before any is sent: a row that cannot be encoded then
    # fails the pass before anything went out, not while other partitions send.
    planned = [
        (topic, partition, _batches(producer, members))
        for (topic, partition), members in by_partition.items()
    ]
    results = await asyncio.gather(*(_publish_partition(producer, *plan) for plan in planned))
    acked = [row for sent, _failure in results for row in sent]
    failure = next((failure for _sent, failure in results if failure is not None), None)
    return acked, failure


async def _publish_partition(
    producer: AIOKafkaProducer, topic: str, partition: int, batches: list[_Batch]
) -> Published:
    acked: list[OutboxRow] = []
    for batch, members in batches:
        try:
            delivered = await producer.send_batch(batch, topic, partition=partition)
            await delivered
        except Exception as exc:  # this batch and every later one of the partition wait
            return acked, exc
        acked += members
    return acked, None


def _batches(producer: AIOKafkaProducer, rows: list[OutboxRow]) -> list[_Batch]:
    """Fills record batches in id order; a batch takes rows until it is full."""
    batches: list[_Batch] = []
    batch, members = producer.create_batch(), []
    for row in rows:
        key, value, headers = _record(row)
        if batch.append(timestamp=None, key=key, value=value, headers=headers) is None:
            batches.append((batch, members))
            batch, members = producer.create_batch(), []
            # An empty batch always takes its first record, whatever its size.
            batch.append(timestamp=None, key=key, value=value, headers=headers)
        members.append(row)
    if members:
        batches.append((batch, members))
    for built, _members in batches:
        built.close()  # no producer.send() may slip a record into it
    return batches


def _record(row: OutboxRow) -> tuple[bytes, bytes, list[tuple[str, bytes]]]:
    """The row as a Kafka record; its publish span parents the consumer's trace."""
    with tracer.start_as_current_span(
        f"{row.topic} publish",
        context=propagate.extract(row.headers or {}),
        kind=SpanKind.PRODUCER,
        attributes={
            "messaging.system": "kafka",
            "messaging.operation.type": "publish",
            "messaging.destination.name": row.topic,
            "messaging.message.id": str(row.event_id),
            "cloudevents.event_type": row.event_type,
        },
    ):
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        envelope = Envelope(
            id=str(row.event_id),
            type=row.event_type,
            source=row.source,
            subject=row.subject,
            time=row.occurred_at,
            traceparent=carrier.get("traceparent"),
            tracestate=carrier.get("tracestate"),
        )
    # The payload is JSON text already: no re-encoding.
    return row.key.encode(), row.payload.encode(), envelope.to_headers()
