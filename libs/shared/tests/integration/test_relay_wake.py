"""The relay wakes on its own process's commits, with no NOTIFY and no poll in between,
and passes again soon when another replica's pass held some of the shards."""

from __future__ import annotations

import asyncio
import uuid

from sqlalchemy import text

from careflow.shared.outbox.relay import LOCK_NAMESPACE
from careflow.shared.outbox.writer import shard_of
from careflow.shared.service.runtime import ServiceRuntime
from careflow.testing.probe_service import emit, probe, probe_runtime, settings_for, wait_until

IDLE_POLL = 60.0


async def _started(probe_db: str, bootstrap: str) -> ServiceRuntime:
    # The fallback poll is far away: only a wake-up gets a pass in time.
    runtime = probe_runtime(settings_for(probe_db, bootstrap, idle_poll_seconds=IDLE_POLL))
    await runtime.start()
    await wait_until(lambda: runtime.relay.published == 0 and _idle(runtime), within=30)
    return runtime


def _idle(runtime: ServiceRuntime) -> bool:
    return not runtime.relay._passing.locked()


async def test_a_commit_of_the_unit_of_work_wakes_the_relay(probe_db: str, kafka):
    runtime = await _started(probe_db, kafka.bootstrap_servers)
    try:
        await asyncio.sleep(0.5)  # idling now, in the 60 s wait
        await emit(runtime, [probe(uuid.uuid4(), 0)])
        # A hang guard, not a speed check: without the wake-up this waits out the poll.
        await wait_until(lambda: runtime.relay.published == 1, within=20)
    finally:
        await runtime.stop()


async def test_rows_in_a_shard_another_pass_holds_go_once_it_lets_go(probe_db: str, kafka):
    runtime = await _started(probe_db, kafka.bootstrap_servers)
    try:
        await asyncio.sleep(0.5)
        key = uuid.uuid4()
        event = probe(key, 0)
        shard = shard_of(event.key(), runtime.settings.relay.shards)
        async with runtime.engine.connect() as other:
            # Another replica's pass: it holds the shard's lock and has not seen the row.
            await other.execute(
                text("SELECT pg_advisory_xact_lock(:ns, :s)"), {"ns": LOCK_NAMESPACE, "s": shard}
            )
            await emit(runtime, [event])
            await asyncio.sleep(1.0)
            assert runtime.relay.published == 0  # this pass skipped the held shard
            await other.rollback()  # the other pass ends, without the row
        # No wake-up and no poll is due: the pass after the missed shard finds it.
        await wait_until(lambda: runtime.relay.published == 1, within=20)
    finally:
        await runtime.stop()
