"""Retryable failures are retried in place: nothing skipped, other partitions keep flowing."""

from __future__ import annotations

import asyncio
import uuid

from aiokafka.partitioner import DefaultPartitioner

from careflow.contracts.envelope import Envelope
from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.messaging.errors import RetryLater
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import (
    effects_of,
    emit,
    probe,
    probe_record,
    probe_runtime,
    record_effect,
    settings_for,
    wait_until,
)


def _key_on(partition: int) -> uuid.UUID:
    partitions = list(range(PLATFORM_PROBES.partitions))
    while True:
        key = uuid.uuid4()
        if DefaultPartitioner()(str(key).encode(), partitions, partitions) == partition:
            return key


async def _two_partitions(runtime: ServiceRuntime) -> tuple[int, int]:
    """Two partitions the consumer owns (once the group has joined)."""
    for _ in range(200):
        owned = sorted(tp.partition for member in runtime.assignments() for tp in member)
        if len(owned) >= 2:
            return owned[0], owned[1]
        await asyncio.sleep(0.1)
    raise AssertionError("the consumer never got two partitions")


async def test_failing_message_is_retried_before_later_ones_and_blocks_no_other_partition(
    probe_db: str, kafka
):
    failures = {"count": 0}
    slow = other = uuid.UUID(int=0)  # set once partitions are assigned
    seen_other_while_failing: list[bool] = []

    async def flaky(event: ProbeEmitted, envelope: Envelope, uow: SqlUnitOfWork) -> None:
        # Sequence 0 of `slow` fails until the other partition's event has been
        # applied (bounded): only a partition that is not blocked can get there.
        if event.probe_id == slow and event.sequence == 0 and failures["count"] < 40:
            other_applied = bool(await effects_of(runtime, other))
            seen_other_while_failing.append(other_applied)
            if not other_applied or failures["count"] < 3:
                failures["count"] += 1
                raise RetryLater("prerequisite not there yet")
        await record_effect(event, envelope, uow)

    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers), handler=flaky)
    await runtime.start()
    try:
        first, second = await _two_partitions(runtime)
        slow, other = _key_on(first), _key_on(second)
        await emit(runtime, [probe(slow, 0), probe(slow, 1)])
        await emit(runtime, [probe(other, 0)])
        await wait_until(lambda: _count(runtime, slow, 2), within=30)
        slow_effects = await effects_of(runtime, slow)
        # Nothing skipped and order kept: sequence 0 applied (once) before 1.
        assert [(s, a) for s, a, _ in slow_effects] == [(0, 1), (1, 1)]
        assert slow_effects[0][2] < slow_effects[1][2]
        assert failures["count"] >= 3
        # The other partition's event was applied while sequence 0 was still failing.
        assert any(seen_other_while_failing)
    finally:
        await runtime.stop()


async def _count(runtime, probe_id: uuid.UUID, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await effects_of(runtime, probe_id)) == n


async def test_a_handler_cancelled_at_shutdown_is_not_retried(probe_db: str, kafka):
    """Cancellation (service stopping) is not a handler failure: it ends processing at
    once; the uncommitted event is read again after the restart."""
    entered = asyncio.Event()
    calls = {"count": 0}
    probe_id = uuid.uuid4()

    async def stuck(event: ProbeEmitted, envelope: Envelope, uow: SqlUnitOfWork) -> None:
        # The runtime's own consumer (a new group) reads what earlier tests left on the
        # topic through this handler too: only the record processed below is counted.
        if event.probe_id != probe_id:
            return
        calls["count"] += 1
        entered.set()
        await asyncio.Event().wait()

    runtime = probe_runtime(
        settings_for(probe_db, kafka.bootstrap_servers, enabled=False), handler=stuck
    )
    await runtime.start()
    try:
        task = asyncio.create_task(runtime.consumer.process(probe_record(probe(probe_id, 0))))  # type: ignore[attr-defined]
        await asyncio.wait_for(entered.wait(), 10)
        task.cancel()
        # Retried, the handler would hang for good; ending includes the rollback, which
        # a loaded database may take seconds over: a generous bound, not a speed check.
        done, _ = await asyncio.wait([task], timeout=30)
        assert done, "the cancelled handler was retried instead of ending"
        assert task.cancelled()
        assert calls["count"] == 1
    finally:
        if not task.done():
            task.cancel()
        await runtime.stop()
