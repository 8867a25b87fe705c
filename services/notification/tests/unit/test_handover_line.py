"""The handover line: steps one at a time in arrival order, each result its caller's, a
caller gone before its turn skipped, and nothing started once the line stops."""

from __future__ import annotations

import asyncio

import pytest

from careflow.notification.application.handover_line import HandoverLine


class Steps:
    """Steps that note when they run and how many overlap."""

    def __init__(self) -> None:
        self.started: list[int] = []
        self.skipped: list[int] = []
        self.running = self.peak = 0
        self.release: dict[int, asyncio.Event] = {}

    def step(self, n: int, *, fails: bool = False, waits: bool = False):  # type: ignore[no-untyped-def]
        self.release[n] = asyncio.Event()

        async def run() -> None:
            self.started.append(n)
            self.running += 1
            self.peak = max(self.peak, self.running)
            try:
                if waits:
                    await self.release[n].wait()
                await asyncio.sleep(0.001)
                if fails:
                    raise ValueError(f"step {n}")
            finally:
                self.running -= 1

        return run

    def skip(self, n: int):  # type: ignore[no-untyped-def]
        return lambda: self.skipped.append(n)


async def test_steps_run_one_at_a_time_in_the_order_they_came():
    line, steps = HandoverLine(), Steps()
    await asyncio.gather(*(line.run(steps.step(n), steps.skip(n)) for n in range(8)))
    assert steps.started == list(range(8))
    assert steps.peak == 1
    assert steps.skipped == []


async def test_a_failing_step_fails_its_own_caller_and_the_line_goes_on():
    line, steps = HandoverLine(), Steps()
    results = await asyncio.gather(
        line.run(steps.step(0), steps.skip(0)),
        line.run(steps.step(1, fails=True), steps.skip(1)),
        line.run(steps.step(2), steps.skip(2)),
        return_exceptions=True,
    )
    assert results[0] is None
    assert results[2] is None
    assert isinstance(results[1], ValueError)
    assert steps.started == [0, 1, 2]


async def test_a_caller_cancelled_before_its_turn_is_skipped_and_its_step_released():
    line, steps = HandoverLine(), Steps()
    first = asyncio.create_task(line.run(steps.step(0, waits=True), steps.skip(0)))
    second = asyncio.create_task(line.run(steps.step(1), steps.skip(1)))
    third = asyncio.create_task(line.run(steps.step(2), steps.skip(2)))
    await asyncio.sleep(0.01)
    second.cancel()
    steps.release[0].set()
    await first
    await third
    assert steps.started == [0, 2]
    assert steps.skipped == [1]
    assert second.cancelled()


async def test_a_caller_cancelled_during_its_turn_leaves_the_step_to_finish():
    """A message handed over is best recorded: the step runs on, the next waits for it."""
    line, steps = HandoverLine(), Steps()
    first = asyncio.create_task(line.run(steps.step(0, waits=True), steps.skip(0)))
    second = asyncio.create_task(line.run(steps.step(1), steps.skip(1)))
    await asyncio.sleep(0.01)
    first.cancel()
    await asyncio.sleep(0.01)
    assert steps.started == [0]  # the second has not started while the first runs on
    steps.release[0].set()
    await second
    assert steps.started == [0, 1]
    assert steps.peak == 1
    assert steps.skipped == []


class ProcessDied(BaseException):
    """SIGKILL, as far as the code under test can tell."""


async def test_nothing_queued_starts_once_a_step_brings_the_process_down():
    line, steps = HandoverLine(), Steps()

    async def dies() -> None:
        steps.started.append(1)
        raise ProcessDied

    results = await asyncio.gather(
        line.run(steps.step(0), steps.skip(0)),
        line.run(dies, steps.skip(1)),
        line.run(steps.step(2), steps.skip(2)),
        line.run(steps.step(3), steps.skip(3)),
        return_exceptions=True,
    )
    assert steps.started == [0, 1]
    assert isinstance(results[1], ProcessDied)
    assert steps.skipped == [2, 3]
    assert all(isinstance(r, asyncio.CancelledError) for r in results[2:])
    # A line whose runner stopped starts a new one for the next step.
    await line.run(steps.step(4), steps.skip(4))
    assert steps.started == [0, 1, 4]


async def test_a_cancelled_step_cancels_its_caller_and_skips_the_rest():
    line, steps = HandoverLine(), Steps()

    async def cancelled() -> None:
        steps.started.append(0)
        raise asyncio.CancelledError

    first = asyncio.create_task(line.run(cancelled, steps.skip(0)))
    second = asyncio.create_task(line.run(steps.step(1), steps.skip(1)))
    with pytest.raises(asyncio.CancelledError):
        await first
    with pytest.raises(asyncio.CancelledError):
        await second
    assert steps.started == [0]
    assert steps.skipped == [1]


async def test_finishing_lets_the_step_under_way_end_then_stops_the_line():
    line, steps = HandoverLine(), Steps()
    caller = asyncio.create_task(line.run(steps.step(0, waits=True), steps.skip(0)))
    await asyncio.sleep(0.01)
    caller.cancel()  # shutdown: the caller goes, its handover is under way
    finishing = asyncio.create_task(line.finish(grace=5))
    await asyncio.sleep(0.01)
    assert not finishing.done()
    steps.release[0].set()
    await finishing
    assert steps.running == 0
    assert steps.started == [0]


async def test_finishing_stops_a_step_that_outlasts_the_timeout():
    line, steps = HandoverLine(), Steps()
    caller = asyncio.create_task(line.run(steps.step(0, waits=True), steps.skip(0)))
    await asyncio.sleep(0.01)
    caller.cancel()
    await line.finish(grace=0.05)
    assert steps.running == 0  # cancelled, not left running
