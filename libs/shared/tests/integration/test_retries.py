"""Retryable failures are retried in place: nothing skipped, other partitions keep flowing."""

from __future__ import annotations

import uuid

from aiokafka.partitioner import DefaultPartitioner

from careflow.contracts.envelope import Envelope
from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.db.unit_of_work import SqlUnitOfWork
from careflow.shared.messaging.errors import RetryLater
from careflow.shared.testing.probe_service import (
    effects_of,
    emit,
    probe,
    probe_runtime,
    record_effect,
    settings_for,
    wait_until,
)


def _two_ids_on_different_partitions() -> tuple[uuid.UUID, uuid.UUID]:
    partitions = list(range(PLATFORM_PROBES.partitions))
    first = uuid.uuid4()
    p_first = DefaultPartitioner()(str(first).encode(), partitions, partitions)
    while True:
        second = uuid.uuid4()
        if DefaultPartitioner()(str(second).encode(), partitions, partitions) != p_first:
            return first, second


async def test_failing_message_is_retried_before_later_ones_and_blocks_no_other_partition(
    probe_db: str, kafka
):
    slow, other = _two_ids_on_different_partitions()
    failures = {"left": 6}
    seen_other_while_failing: list[bool] = []

    async def flaky(event: ProbeEmitted, envelope: Envelope, uow: SqlUnitOfWork) -> None:
        if event.probe_id == slow and event.sequence == 0 and failures["left"] > 0:
            failures["left"] -= 1
            seen_other_while_failing.append(bool(await effects_of(runtime, other)))
            raise RetryLater("prerequisite not there yet")
        await record_effect(event, envelope, uow)

    runtime = probe_runtime(settings_for(probe_db, kafka.bootstrap_servers), handler=flaky)
    await runtime.start()
    try:
        await emit(runtime, [probe(slow, 0), probe(slow, 1)])
        await emit(runtime, [probe(other, 0)])
        await wait_until(lambda: _count(runtime, slow, 2), within=30)
        slow_effects = await effects_of(runtime, slow)
        # Nothing skipped and order kept: sequence 0 applied (once) before 1.
        assert [(s, a) for s, a, _ in slow_effects] == [(0, 1), (1, 1)]
        assert slow_effects[0][2] < slow_effects[1][2]
        assert failures["left"] == 0
        # The other partition's event was applied while sequence 0 was still failing.
        assert any(seen_other_while_failing)
    finally:
        await runtime.stop()


async def _count(runtime, probe_id: uuid.UUID, n: int) -> bool:  # type: ignore[no-untyped-def]
    return len(await effects_of(runtime, probe_id)) == n
