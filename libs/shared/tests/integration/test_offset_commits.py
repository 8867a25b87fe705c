"""A consumer commits its progress in few requests, and never loses it by leaving.

Applied batches' offsets wait for the member's committer (`commit_interval_ms`), which
sends every partition's progress in one request; a stop and a rebalance commit what was
applied at once, so the next owner reads on from there instead of from an older commit.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
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
NEVER_WITHIN_THE_TEST_MS = 60_000


class CommitSpy:
    """Records every OffsetCommit the subscription's group member sends."""

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


@pytest.fixture
async def runtime_factory(probe_db: str, kafka) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    started: list[ServiceRuntime] = []

    async def start(commit_interval_ms: int, group: str) -> ServiceRuntime:
        settings = settings_for(probe_db, kafka.bootstrap_servers)
        settings = settings.model_copy(
            update={"consumer": quick_consumer(commit_interval_ms=commit_interval_ms)}
        )
        runtime = probe_runtime(settings, group=group)
        await runtime.start()
        started.append(runtime)
        return runtime

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


async def emit_in_rounds(runtime: ServiceRuntime, probe_ids: list[uuid.UUID], rounds: int) -> None:
    """Events of many keys (so of many partitions), committed in separate transactions:
    the consumer gets them in several fetches and batches."""
    for sequence in range(rounds):
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


async def test_applied_batches_wait_for_the_committer_and_a_stop_commits_them_in_one_request(
    runtime_factory: Any, kafka: Any
) -> None:
    group = f"commits-{uuid.uuid4().hex[:8]}"
    runtime = await runtime_factory(NEVER_WITHIN_THE_TEST_MS, group)
    subscription = runtime.subscriptions[0]
    spy, count = CommitSpy(subscription), BatchCount(runtime)

    await emit_in_rounds(runtime, [uuid.uuid4() for _ in range(8)], rounds=4)

    assert count.batches >= 4
    assert spy.calls == []  # each batch committed on its own before
    applied = await applied_offsets(subscription)
    await runtime.stop()
    assert spy.calls == [applied]
    positions = await committed(kafka.bootstrap_servers, group)
    assert {tp: positions[tp] for tp in applied} == applied


async def test_the_committer_sends_the_applied_offsets_within_its_interval(
    runtime_factory: Any, kafka: Any
) -> None:
    group = f"commits-{uuid.uuid4().hex[:8]}"
    runtime = await runtime_factory(200, group)
    subscription = runtime.subscriptions[0]
    spy = CommitSpy(subscription)

    await emit_in_rounds(runtime, [uuid.uuid4() for _ in range(8)], rounds=3)
    applied = await applied_offsets(subscription)

    async def caught_up() -> bool:
        positions = await committed(kafka.bootstrap_servers, group)
        return all(positions[tp] == offset for tp, offset in applied.items())

    await wait_until(caught_up, within=20)
    assert spy.calls  # by the committer: the runtime is still running
    assert runtime.subscriptions


async def test_a_member_giving_up_partitions_commits_what_it_applied_first(
    runtime_factory: Any, kafka: Any
) -> None:
    group = f"commits-{uuid.uuid4().hex[:8]}"
    runtime = await runtime_factory(NEVER_WITHIN_THE_TEST_MS, group)
    subscription = runtime.subscriptions[0]
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
