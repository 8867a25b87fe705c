"""Shared machinery of the benchmarks: pacing, partition assignment, waiting."""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from collections.abc import Awaitable, Callable, Coroutine, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.partitioner import murmur2
from faststream.kafka import KafkaBroker

from careflow.bench.report import latency_summary, pair_latencies
from careflow.shared.messaging.reading import positions_at_end
from careflow.testing.servers import (
    BrokerForTests,
    PostgresForTests,
    start_broker,
    start_postgres,
)

# Sends message number i; returns its identity and the moment it counts as sent.
Send = Callable[[int], Awaitable[tuple[Any, float]]]


@dataclass
class Recorder:
    """Wall-clock receive times keyed by message identity, kept in memory.

    The consumer runs in another process: its `time.time()` stamps arrive here.
    """

    received: dict[Any, float] = field(default_factory=dict)
    first: float | None = None
    last: float | None = None

    def record(self, key: Any, at: float | None = None) -> None:
        now = time.time() if at is None else at
        self.received.setdefault(key, now)
        if self.first is None or now < self.first:
            self.first = now
        if self.last is None or now > self.last:
            self.last = now

    def reset(self) -> None:
        self.received.clear()
        self.first = self.last = None

    def __len__(self) -> int:
        return len(self.received)

    def rate(self) -> float:
        """Messages per second from the first receipt to the last."""
        if self.first is None or self.last is None or self.last <= self.first:
            return float("nan")
        return len(self.received) / (self.last - self.first)


def partition_of(key: bytes, partitions: int) -> int:
    """aiokafka's default partitioner (murmur2), so keys can cover every partition."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def keys_covering(partitions: int, per_partition: int = 1) -> list[uuid.UUID]:
    """UUID keys landing on every partition, `per_partition` each."""
    wanted = {p: per_partition for p in range(partitions)}
    keys: list[uuid.UUID] = []
    while any(wanted.values()):
        key = uuid.uuid4()
        p = partition_of(str(key).encode(), partitions)
        if wanted[p]:
            wanted[p] -= 1
            keys.append(key)
    return keys


def assigned_partitions(broker: KafkaBroker) -> int:
    """Partitions the broker's subscribers currently own (all their consumers)."""
    total = 0
    for subscriber in broker.subscribers:
        consumers = getattr(subscriber, "consumer_subgroup", None) or [
            getattr(subscriber, "consumer", None)
        ]
        for consumer in consumers:
            if consumer is not None:
                total += len(consumer.assignment())
    return total


async def wait_for(
    predicate: Callable[[], bool], within: float, what: str, poll: float = 0.02
) -> float:
    """Polls until `predicate()`; returns the monotonic time it first held."""
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {within:.0f}s")
        await asyncio.sleep(poll)
    return time.monotonic()


async def wait_for_assignment(
    assigned: Callable[[], int], partitions: int, within: float = 60
) -> None:
    """Group join on Tansu takes seconds: load only once every partition is owned."""
    await wait_for(lambda: assigned() >= partitions, within, "partition assignment")


async def start_group_at_end(bootstrap: str, topic: str, partitions: int, group: str) -> None:
    """Commits the end offsets for a new group, so it skips what earlier phases published."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False
    )
    await consumer.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.commit(await positions_at_end(consumer, tps))
    finally:
        await consumer.stop()


async def wait_for_count(
    seen: Sized, count: int, within: float, what: str, poll: float = 0.01
) -> float:
    return await wait_for(lambda: len(seen) >= count, within, what, poll)


@dataclass
class Offered:
    sent: dict[Any, float]
    scheduled: int
    seconds: float  # wall time from the first to the last scheduled send

    @property
    def rate(self) -> float:
        return (self.scheduled - 1) / self.seconds if self.seconds > 0 else 0.0


async def offer(
    rate: float,
    seconds: float,
    send: Send,
    first: int = 0,
) -> Offered:
    """Open-loop load: starts `send(i)` every 1/rate s, whether earlier ones finished or not.

    `send` returns (key, time it counts as sent); a slow send delays nobody else.
    """
    loop = asyncio.get_running_loop()
    count = max(1, int(rate * seconds))
    sent: dict[Any, float] = {}
    tasks: list[asyncio.Task[None]] = []

    async def one(i: int) -> None:
        key, at = await send(i)
        sent[key] = at

    start = loop.time() + 0.01
    for i in range(count):
        delay = start + i / rate - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(one(first + i)))
    finished = loop.time()
    await asyncio.gather(*tasks)
    return Offered(sent, count, finished - start)


async def wait_delivered(offered: Offered, seen: Recorder, within: float = 60) -> None:
    """Waits until every offered key was received; missing ones count as lost."""
    expected = len(offered.sent)

    def delivered() -> bool:  # cheap count first: the full check runs once per run
        return len(seen) >= expected and all(k in seen.received for k in offered.sent)

    with contextlib.suppress(TimeoutError):
        await wait_for(delivered, within, "delivery")


async def latency_run(
    rate: float,
    seconds: float,
    warmup_seconds: float,
    send: Send,
    seen: Recorder,
    analyse: Callable[[dict[Any, float]], dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """A discarded warm-up, then `seconds` of open-loop load at `rate`; latency summary.

    `analyse(sent)` adds its own figures about the measured (not warm-up) events.
    """
    warmup = await offer(rate, warmup_seconds, send)
    await wait_delivered(warmup, seen)
    seen.reset()
    offered = await offer(rate, seconds, send, first=warmup.scheduled)
    await wait_delivered(offered, seen)
    latencies = pair_latencies(offered.sent, seen.received)
    lost = offered.scheduled - len(latencies)
    return {
        "rate": rate,
        "achieved_rate": offered.rate,
        "events": offered.scheduled,
        "lost": lost,
        "warmup_events": warmup.scheduled,
        **latency_summary(latencies, lost),
        **(analyse(offered.sent) if analyse is not None else {}),
    }


_T = TypeVar("_T")


def run_on_servers(
    measure: Callable[[PostgresForTests, BrokerForTests], Coroutine[Any, Any, _T]],
    *,
    broker_log_dir: Path | None = None,
) -> _T:
    """Starts PostgreSQL and the broker (or uses DATABASE_URL / KAFKA_BOOTSTRAP_SERVERS),
    runs `measure` on them, then stops both (an embedded database's files go with it)."""
    postgres = start_postgres()
    try:
        broker = start_broker(broker_log_dir)
        try:
            return asyncio.run(measure(postgres, broker))
        finally:
            broker.stop()
    finally:
        postgres.stop()
