"""The outbox: committed events are delivered and take effect exactly once."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import effects_of, emit, probe, wait_until


async def test_event_of_rolled_back_transaction_is_never_published(running: ServiceRuntime):
    rolled_back, committed = uuid.uuid4(), uuid.uuid4()
    async with running.uow() as uow:
        uow.outbox.add(probe(rolled_back, 0))
        await uow.outbox.flush()
        await uow.rollback()
    await emit(running, [probe(committed, 0)])

    await wait_until(lambda: effects_of(running, committed))
    await asyncio.sleep(1.0)  # give a wrongly published event time to arrive
    assert await effects_of(running, rolled_back) == []
    async with running.sessions() as session:
        rows = await session.execute(
            text("SELECT count(*) FROM outbox WHERE key = :k"), {"k": str(rolled_back)}
        )
        assert rows.scalar_one() == 0


async def test_committed_event_takes_effect_exactly_once(running: ServiceRuntime):
    probe_id = uuid.uuid4()
    await emit(running, [probe(probe_id, n) for n in range(5)])

    await wait_until(lambda: _count(running, probe_id, 5))
    await asyncio.sleep(0.5)
    assert [(seq, applied) for seq, applied, _ in await effects_of(running, probe_id)] == [
        (n, 1) for n in range(5)
    ]

    # The relay marks its rows after the broker's acknowledgement, in a commit of its
    # own that may come after the consumer's (a loaded database takes its time): waited
    # for, not assumed done within the half second above.
    async def all_marked() -> bool:
        async with running.sessions() as session:
            unpublished = await session.execute(
                text("SELECT count(*) FROM outbox WHERE key = :k AND published_at IS NULL"),
                {"k": str(probe_id)},
            )
            return unpublished.scalar_one() == 0

    await wait_until(all_marked)


async def _count(runtime: ServiceRuntime, probe_id: uuid.UUID, n: int) -> bool:
    return len(await effects_of(runtime, probe_id)) == n


async def test_events_written_on_the_driver_connection_arrive_once_and_in_order(
    running: ServiceRuntime,
):
    # A transaction already begun writes its outbox rows on the driver connection: one
    # multi-row statement for a few rows, executemany beyond (writer._ONE_STATEMENT_ROWS).
    for count in (1, 2, 8, 9, 20):
        probe_id = uuid.uuid4()
        async with running.uow() as uow:
            await uow.session.execute(text("SELECT 1"))
            for n in range(count):
                uow.outbox.add(probe(probe_id, n))
            await uow.commit()

        await wait_until(lambda pid=probe_id, c=count: _count(running, pid, c))
        await asyncio.sleep(0.3)
        effects = await effects_of(running, probe_id)
        assert [(seq, applied) for seq, applied, _ in effects] == [(n, 1) for n in range(count)]
        by_arrival = [seq for seq, _, arrival in sorted(effects, key=lambda e: e[2])]
        assert by_arrival == list(range(count))


async def test_more_events_than_one_statement_takes_are_all_queued(running: ServiceRuntime):
    probe_id = uuid.uuid4()
    events = 3_500  # ten values each: one INSERT of them all would pass 32,767
    async with running.uow() as uow:
        for n in range(events):
            uow.outbox.add(probe(probe_id, n))
        await uow.commit()
    async with running.sessions() as session:
        rows = await session.execute(
            text("SELECT count(*) FROM outbox WHERE key = :k"), {"k": str(probe_id)}
        )
        assert rows.scalar_one() == events
