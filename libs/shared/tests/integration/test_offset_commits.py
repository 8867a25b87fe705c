"""A consumer's offset commits stay off the batches' path, wait for the topic keeper's
word, and never outlive the member.

A partition worker marks its applied offset and goes on; an offset goes out once a topic
check that began after it found the broker whole (`TopicKeeper.commit_horizon`), in one
request with every other partition's; one applied before a sign of broker trouble never
does. A member giving up its partitions commits what may be committed first; a stopping
member commits nothing more (see `subscription.py`). The tests set the keeper's horizon
themselves, so that nothing depends on when its checks run.
"""

from __future__ import annotations

import asyncio
import math
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.messaging.subscription import Subscription
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import (
    effects_of,
    emit,
    probe,
    probe_runtime,
    settings_for,
    wait_until,
)
from careflow.testing.settings import quick_consumer

TOPIC = PLATFORM_PROBES.name
PARTITIONS = [TopicPartition(TOPIC, p) for p in range(PLATFORM_PROBES.partitions)]


class GatedCommits:
    """Holds every OffsetCommit the subscription's member sends until `open()`."""

    def __init__(self, subscription: Subscription) -> None:
        member = subscription._member
        assert member is not None
        self.sent: list[dict[TopicPartition, int]] = []
        self._gate = asyncio.Event()
        commit = member.commit

        async def gated(offsets: dict[TopicPartition, int]) -> Any:
            self.sent.append(dict(offsets))
            await self._gate.wait()
            return await commit(offsets)

        member.commit = gated  # type: ignore[method-assign]

    def open(self) -> None:
        self._gate.set()


class Horizon:
    """Stands in for the keeper's `commit_horizon`: the test says what is vouched for."""

    def __init__(self, runtime: ServiceRuntime, vouched: float, disturbed: float) -> None:
        self.vouched, self.disturbed = vouched, disturbed
        runtime.keeper.commit_horizon = lambda: (self.vouched, self.disturbed)  # type: ignore[method-assign]


class CommitSpy:
    def __init__(self, subscription: Subscription) -> None:
        member = subscription._member
        assert member is not None
        self.calls: list[dict[TopicPartition, int]] = []
        commit = member.commit

        async def spy(offsets: dict[TopicPartition, int]) -> Any:
            self.calls.append(dict(offsets))
            return await commit(offsets)

        member.commit = spy  # type: ignore[method-assign]


class BatchCount:
    def __init__(self, runtime: ServiceRuntime) -> None:
        self.batches = 0
        consumer = runtime.consumer  # type: ignore[attr-defined]
        process_batch = consumer.process_batch

        async def counted(records: list[Any]) -> list[str]:
            self.batches += 1
            return await process_batch(records)  # type: ignore[no-any-return]

        consumer.process_batch = counted


@dataclass
class Member:
    runtime: ServiceRuntime
    subscription: Subscription
    horizon: Horizon
    group: str


@pytest.fixture
async def member_factory(probe_db: str, kafka) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    """A probe service in a group of its own; the keeper's horizon as the test sets it
    (by default everything vouched for: offsets go out at the next release)."""
    started: list[ServiceRuntime] = []

    async def start(vouched: float = math.inf, disturbed: float = -math.inf) -> Member:
        group = f"commits-{uuid.uuid4().hex[:8]}"
        settings = settings_for(probe_db, kafka.bootstrap_servers)
        settings = settings.model_copy(update={"consumer": quick_consumer()})
        runtime = probe_runtime(settings, group=group)
        await runtime.start()
        started.append(runtime)
        horizon = Horizon(runtime, vouched, disturbed)
        return Member(runtime, runtime.subscriptions[0], horizon, group)

    yield start
    for runtime in started:
        if runtime.subscriptions:
            await runtime.stop()


async def committed(bootstrap: str, group: str) -> dict[TopicPartition, int | None]:
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await reader.start()
    try:
        return {tp: await reader.committed(tp) for tp in PARTITIONS}
    finally:
        await reader.stop()


async def caught_up(bootstrap: str, group: str, applied: dict[TopicPartition, int]) -> bool:
    """Whether the group's committed offsets are the applied ones."""
    positions = await committed(bootstrap, group)
    return all(positions[tp] == offset for tp, offset in applied.items())


async def emit_in_rounds(
    runtime: ServiceRuntime, probe_ids: list[uuid.UUID], rounds: int, first: int = 0
) -> None:
    """Events of many keys (so of many partitions), committed in separate transactions:
    the consumer gets them in several fetches and batches. `first`: the keys' sequence
    number to start from (rounds already emitted for them)."""
    for sequence in range(first, first + rounds):
        await emit(runtime, [probe(probe_id, sequence) for probe_id in probe_ids])
        for probe_id in probe_ids:
            await wait_until(lambda p=probe_id, s=sequence: _applied(runtime, p, s + 1))


async def _applied(runtime: ServiceRuntime, probe_id: uuid.UUID, count: int) -> bool:
    return len(await effects_of(runtime, probe_id)) >= count


async def applied_offsets(subscription: Subscription) -> dict[TopicPartition, int]:
    """The offsets applied once nothing fetched waits (the topic holds earlier tests'
    events too, which this new group reads from the start)."""

    def settled() -> bool:
        return not subscription._workers and all(lag == 0 for *_, lag in subscription.lag())

    await wait_until(settled, within=30)
    return dict(subscription._next_to_apply)


async def test_applied_offsets_wait_for_the_keepers_word_then_go_out_in_one_request(
    member_factory: Any, kafka: Any
) -> None:
    member = await member_factory(vouched=-math.inf)
    runtime, subscription, horizon = member.runtime, member.subscription, member.horizon
    spy, count = CommitSpy(subscription), BatchCount(runtime)

    await emit_in_rounds(runtime, [uuid.uuid4() for _ in range(8)], rounds=3)
    applied = await applied_offsets(subscription)
    await asyncio.sleep(1.5)  # three release rounds: nothing is vouched for yet
    assert count.batches >= 3
    assert spy.calls == []

    horizon.vouched = time.monotonic()  # a check that began now found the broker whole

    await wait_until(lambda: caught_up(kafka.bootstrap_servers, member.group, applied), within=20)
    assert spy.calls == [applied]


async def test_offsets_applied_before_a_sign_of_broker_trouble_are_never_committed(
    member_factory: Any, kafka: Any
) -> None:
    member = await member_factory(vouched=-math.inf)
    runtime, subscription, horizon = member.runtime, member.subscription, member.horizon
    spy = CommitSpy(subscription)
    probe_ids = [uuid.uuid4() for _ in range(8)]

    await emit_in_rounds(runtime, probe_ids, rounds=1)
    before = await applied_offsets(subscription)
    # A failed fetch or check: the broker may have restarted without its state.
    horizon.disturbed = horizon.vouched = time.monotonic()
    await asyncio.sleep(1.5)
    assert spy.calls == []

    await emit_in_rounds(runtime, probe_ids, rounds=1, first=1)  # the same partitions
    after = await applied_offsets(subscription)
    moved = {tp: offset for tp, offset in after.items() if offset != before.get(tp)}
    assert moved
    horizon.vouched = time.monotonic()
    await wait_until(lambda: bool(spy.calls), within=20)
    await asyncio.sleep(1.0)  # any further request would have gone out by now
    assert spy.calls == [moved]  # partitions that did not move since stay uncommitted
    positions = await committed(kafka.bootstrap_servers, member.group)
    assert {tp: positions[tp] for tp in moved} == moved
    assert all(positions[tp] is None for tp in before if tp not in moved)


async def test_batches_go_on_while_a_commit_is_in_flight_and_one_request_carries_them_after(
    member_factory: Any, kafka: Any
) -> None:
    member = await member_factory()
    runtime, subscription = member.runtime, member.subscription
    gate, count = GatedCommits(subscription), BatchCount(runtime)
    probe_ids = [uuid.uuid4() for _ in range(8)]

    await emit_in_rounds(runtime, probe_ids, rounds=1)
    await wait_until(lambda: len(gate.sent) == 1)  # held from here on
    before = count.batches
    # With that commit held, a worker that waited for its commit would stall here.
    await emit_in_rounds(runtime, probe_ids, rounds=3, first=1)
    applied = await applied_offsets(subscription)
    assert count.batches - before >= 3
    assert len(gate.sent) == 1  # the rest wait behind it

    gate.open()

    await wait_until(lambda: caught_up(kafka.bootstrap_servers, member.group, applied), within=20)
    assert len(gate.sent) == 2  # everything released meanwhile went in one request
    assert gate.sent[1] == {tp: offset for tp, offset in applied.items() if tp in gate.sent[1]}


async def test_a_stopping_member_commits_nothing_more(member_factory: Any, kafka: Any) -> None:
    member = await member_factory()
    runtime, subscription = member.runtime, member.subscription
    GatedCommits(subscription)  # never opened: every commit is still in flight at stop

    await emit_in_rounds(runtime, [uuid.uuid4() for _ in range(8)], rounds=2)
    applied = await applied_offsets(subscription)
    assert applied
    await runtime.stop()

    positions = await committed(kafka.bootstrap_servers, member.group)
    assert all(positions[tp] is None for tp in applied)


async def test_a_member_giving_up_partitions_commits_what_it_applied_first(
    member_factory: Any, kafka: Any
) -> None:
    member = await member_factory()
    runtime, subscription, group = member.runtime, member.subscription, member.group
    await emit_in_rounds(runtime, [uuid.uuid4() for _ in range(8)], rounds=2)
    applied = await applied_offsets(subscription)

    # A second member joins: the group rebalances and the first gives up its partitions
    # (aiokafka revokes all of them before the new assignment).
    newcomer = AIOKafkaConsumer(
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=group,
        enable_auto_commit=False,
        session_timeout_ms=3_000,
        heartbeat_interval_ms=1_000,
    )
    newcomer.subscribe([TOPIC])
    await newcomer.start()
    try:
        await wait_until(lambda: bool(newcomer.assignment()), within=30)
        positions = {tp: await newcomer.committed(tp) for tp in PARTITIONS}
    finally:
        await newcomer.stop()
    assert {tp: positions[tp] for tp in applied} == applied
