"""The consumer-lag gauge: records on the broker a group has not applied yet, per partition."""

from __future__ import annotations

import asyncio
import re
import uuid

from aiokafka.partitioner import DefaultPartitioner
from prometheus_client import generate_latest
from sqlalchemy import text

from careflow.contracts.registry import PLATFORM_PROBES
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork
from careflow.testing.probe_service import (
    effects_of,
    emit,
    probe,
    probe_runtime,
    record_effect,
    settings_for,
    wait_until,
)


def lag_of(group: str) -> dict[str, float]:
    """partition -> careflow_consumer_lag of `group`, as Prometheus scrapes it."""
    exposition = generate_latest().decode()
    found = {}
    for labels, value in re.findall(r"^careflow_consumer_lag\{([^}]*)\} (\S+)$", exposition, re.M):
        pairs = dict(re.findall(r'(\w+)="([^"]*)"', labels))
        if pairs["group"] == group:
            found[pairs["partition"]] = float(value)
    return found


def _partition_of(key: uuid.UUID) -> int:
    partitions = list(range(PLATFORM_PROBES.partitions))
    return int(DefaultPartitioner()(str(key).encode(), partitions, partitions))


async def test_lag_counts_what_waits_behind_a_slow_handler_and_returns_to_zero(
    probe_db: str, kafka
):
    gate = asyncio.Event()
    probe_id = uuid.uuid4()

    async def held(event, envelope, uow: SqlUnitOfWork) -> None:  # type: ignore[no-untyped-def]
        # Only this test's events wait: a new group reads the topic from the start, and
        # what earlier tests left on it must be applied, not counted as lag.
        if event.probe_id == probe_id:
            await gate.wait()
        await record_effect(event, envelope, uow)

    group = f"lag-{uuid.uuid4().hex[:8]}"
    runtime = probe_runtime(
        settings_for(probe_db, kafka.bootstrap_servers), group=group, handler=held
    )
    # Another key on the five's partition, applied first. Fetched in one batch with what
    # earlier tests left there (a new group reads from the start), the five would hold
    # those records' batch too, and the lag would read 5 plus them, never 5: on a loaded
    # machine the first event could be published before the member's first fetch came.
    warmup = next(k for k in iter(uuid.uuid4, None) if _partition_of(k) == _partition_of(probe_id))
    await runtime.start()
    try:
        await emit(runtime, [probe(warmup, 0)])
        await wait_until(lambda: effects_of(runtime, warmup), within=60)
        # One key: all five land on one partition, behind the first one's held handler.
        # One produce batch each: Tansu reports a partition's high watermark as its last
        # batch's base offset + 1, so five events sent as one batch would read as lag 1.
        for n in range(5):
            await emit(runtime, [probe(probe_id, n)])
            await wait_until(lambda: _published(runtime))

        def five_behind() -> bool:
            return sorted(lag_of(group).values())[-1:] == [5.0]

        await wait_until(five_behind, within=60)  # a group join on Tansu takes seconds
        gate.set()
        await wait_until(lambda: effects_of(runtime, probe_id), within=30)

        def caught_up() -> bool:
            lags = lag_of(group)
            return bool(lags) and set(lags.values()) == {0.0}

        await wait_until(caught_up, within=30)
        assert len(await effects_of(runtime, probe_id)) == 5
    finally:
        gate.set()
        await runtime.stop()
    # A stopped consumer reports nothing, rather than its last lag for ever.
    assert lag_of(group) == {}


async def _published(runtime) -> bool:  # type: ignore[no-untyped-def]
    async with runtime.engine.connect() as conn:
        unpublished = await conn.scalar(
            text("SELECT count(*) FROM outbox WHERE published_at IS NULL")
        )
    return unpublished == 0
