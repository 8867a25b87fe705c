"""The relay's pacing: passes share a busy stream of commits; a lone commit goes at once."""

from __future__ import annotations

import asyncio
import time

from careflow.shared.outbox.relay import OutboxRelay
from careflow.shared.settings import RelaySettings

INTERVAL = 0.2  # s: wide, so that scheduling jitter cannot blur the two cases


class _TimedRelay(OutboxRelay):
    """The relay's loop with the database and listener replaced: notes when passes start."""

    def __init__(self) -> None:
        super().__init__(
            None,  # type: ignore[arg-type]
            None,  # type: ignore[arg-type]
            RelaySettings(idle_poll_seconds=30, pass_interval_seconds=INTERVAL),
            service="test",
        )
        self.starts: list[float] = []
        self.passed = asyncio.Event()

    async def _listen(self) -> None:
        await asyncio.Event().wait()

    async def _maybe_report_lag(self) -> None:
        return None

    async def drain_once(self) -> int:
        self.starts.append(time.monotonic())
        self.passed.set()
        return 1


async def _next_pass(relay: _TimedRelay) -> float:
    relay.passed.clear()
    relay._wake.set()  # a commit's NOTIFY
    await asyncio.wait_for(relay.passed.wait(), timeout=5)
    return relay.starts[-1]


async def _starts_at_once(relay: _TimedRelay) -> bool:
    """Whether a commit's NOTIFY starts a pass within a few turns of the loop, with no
    timer in between. Counted in turns, not in milliseconds: a loaded machine may wake
    the loop late, but never lets a timer of the relay's fire within these turns unless
    it stalls for longer than that timer (which only hides a pause, never invents one)."""
    relay.passed.clear()
    relay._wake.set()
    for _ in range(10):
        await asyncio.sleep(0)
        if relay.passed.is_set():
            return True
    return False


async def test_a_commit_after_a_quiet_spell_starts_a_pass_at_once() -> None:
    relay = _TimedRelay()
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(relay.passed.wait(), timeout=5)  # the start-up pass
        await asyncio.sleep(INTERVAL * 1.5)  # quiet for longer than the interval
        assert await _starts_at_once(relay)
    finally:
        task.cancel()


async def test_commits_soon_after_a_pass_wait_out_the_interval() -> None:
    relay = _TimedRelay()
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(relay.passed.wait(), timeout=5)
        first = relay.starts[-1]
        second = await _next_pass(relay)  # woken right away: paced
        third = await _next_pass(relay)
        assert second - first >= INTERVAL * 0.95
        assert third - second >= INTERVAL * 0.95
    finally:
        task.cancel()


async def test_no_pacing_when_the_interval_is_zero() -> None:
    relay = _TimedRelay()
    relay._settings = RelaySettings(idle_poll_seconds=30, pass_interval_seconds=0)
    task = asyncio.create_task(relay.run())
    try:
        await asyncio.wait_for(relay.passed.wait(), timeout=5)
        assert await _starts_at_once(relay)
    finally:
        task.cancel()
