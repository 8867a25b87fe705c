"""Background loops stop when asked, even when a cancellation races a wake-up."""

from __future__ import annotations

import asyncio

from careflow.shared.outbox.relay import OutboxRelay
from careflow.shared.settings import RelaySettings
from careflow.shared.tasks import cancel_and_wait


async def test_a_task_that_swallows_one_cancellation_is_still_stopped():
    swallowed = []

    async def stubborn() -> None:
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            swallowed.append(True)  # and carries on, as a buggy library might
        await asyncio.sleep(60)

    task = asyncio.create_task(stubborn())
    await asyncio.sleep(0)
    await asyncio.wait_for(cancel_and_wait(task, recheck_seconds=0.05), 5)
    assert swallowed == [True]
    assert task.cancelled()


async def test_cancelling_the_relays_idle_wait_as_a_wake_up_arrives_ends_it():
    relay = OutboxRelay(
        None,  # type: ignore[arg-type]  # _idle touches neither engine nor producer
        None,  # type: ignore[arg-type]
        RelaySettings(idle_poll_seconds=30, pass_interval_seconds=0),
        service="test",
    )

    async def idle_forever() -> None:
        while True:
            await relay._idle()

    task = asyncio.create_task(idle_forever())
    for _ in range(3):
        await asyncio.sleep(0)
    relay.wake()  # a commit's wake-up and the stop land in the same loop step
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=2)
    assert done == {task}
    assert task.cancelled()


class _ScriptedRelay(OutboxRelay):
    """The relay's loop with the database replaced by a script."""

    passes = 0

    async def _maybe_report_lag(self) -> None:
        return None

    async def drain_once(self) -> int:
        self.passes += 1
        if self.passes == 1:
            self.wake()  # a commit of this process lands while the first pass runs
        return 0


class _SharedShardsRelay(_ScriptedRelay):
    """Another replica's pass holds some shards during this relay's first pass."""

    async def drain_once(self) -> int:
        self.passes += 1
        self._shards_missed = self.passes == 1
        return 0


class _FullBatchBesideHeldShardsRelay(_ScriptedRelay):
    """The first pass fills its batch while another replica's pass holds some shards."""

    async def drain_once(self) -> int:
        self.passes += 1
        self._shards_missed = self.passes == 1
        return 1 if self.passes == 1 else 0


async def _passes_in(
    kind: type[_ScriptedRelay], seconds: float, interval: float, batch_size: int = 500
) -> int:
    """How many passes a scripted relay's loop makes in `seconds`; its poll is 30 s away."""
    relay = kind(
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        RelaySettings(idle_poll_seconds=30, pass_interval_seconds=interval, batch_size=batch_size),
        service="test",
    )
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.sleep(seconds)
        return relay.passes
    finally:
        await cancel_and_wait(task)


async def test_a_pass_that_missed_shards_held_elsewhere_is_followed_by_another_soon():
    # Its rows there may be this process's last commit: no 30 s idle wait first.
    # Then one pass that got every shard, and idling.
    assert await _passes_in(_SharedShardsRelay, 0.3, interval=0.01) == 2


async def test_a_full_batch_is_followed_by_the_next_pass_at_once_even_beside_held_shards():
    # More rows may be waiting: not the missed shards' pause (here 1 s) first.
    assert await _passes_in(_FullBatchBesideHeldShardsRelay, 0.3, interval=1, batch_size=1) == 2


async def test_a_wake_up_during_a_pass_brings_another_pass_without_waiting_for_the_poll():
    # Not one pass, then 30 s of idling past the wake-up.
    assert await _passes_in(_ScriptedRelay, 0.2, interval=0) >= 2
