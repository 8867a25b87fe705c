"""The channel's pacing: sends in flight bounded, and never more than the limit in any
one-second window at the provider, whenever within a send it receives the message."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from careflow.notification.application.pacing import Pacer


def busiest_window(stamps: list[float], window: float) -> int:
    ordered = sorted(stamps)
    best, start = 0, 0
    for end, at in enumerate(ordered):
        while ordered[start] <= at - window:
            start += 1
        best = max(best, end - start + 1)
    return best


async def paced_sends(pacer: Pacer, count: int, seed: int) -> tuple[list[float], int, float]:
    """Sends of 1-15 ms; the provider 'receives' each at a random moment within it."""
    rng = random.Random(seed)
    received: list[float] = []
    in_flight = peak = 0

    async def send() -> None:
        nonlocal in_flight, peak
        async with pacer.slot():
            in_flight += 1
            peak = max(peak, in_flight)
            started, duration = time.monotonic(), rng.uniform(0.001, 0.015)
            await asyncio.sleep(duration)
            received.append(started + rng.random() * (time.monotonic() - started))
            in_flight -= 1

    began = time.monotonic()
    await asyncio.gather(*(send() for _ in range(count)))
    return received, peak, time.monotonic() - began


async def test_no_one_second_window_at_the_provider_holds_more_than_the_limit():
    pacer = Pacer(per_second=40, concurrency=10)
    received, peak, elapsed = await paced_sends(pacer, 120, seed=1)
    assert busiest_window(received, 1.0) <= 40
    assert peak <= 10
    # ...and the limit is used, not just respected: 120 at 40/s take a little over 2 s.
    assert elapsed < 3.0


async def test_a_fractional_limit_is_rounded_down_rather_than_exceeded():
    pacer = Pacer(per_second=2.5, concurrency=4)
    assert (pacer.per_window, pacer.window) == (2, 1.0)
    received, _peak, elapsed = await paced_sends(pacer, 6, seed=2)
    assert busiest_window(received, 1.0) <= 2
    assert elapsed >= 2.0  # 6 messages, 2 a second: the third pair no earlier than 2 s in


def test_a_limit_below_one_a_second_spaces_single_messages():
    pacer = Pacer(per_second=0.5, concurrency=2)
    assert (pacer.per_window, pacer.window) == (1, 2.0)


async def test_without_a_limit_only_the_sends_in_flight_are_bounded():
    pacer = Pacer(per_second=0, concurrency=3)
    received, peak, elapsed = await paced_sends(pacer, 30, seed=3)
    assert len(received) == 30
    assert peak == 3
    assert elapsed < 1.0


async def test_a_send_cancelled_while_waiting_for_a_permit_does_not_use_it_up():
    # The pacer's clock is the test's: what is asserted is which moment the permit is
    # free at, not how late a loaded machine wakes a timer (a 1.0 s bound on the real
    # clock left 30 ms of slack).
    now = [0.0]
    pacer = Pacer(per_second=1, concurrency=2, clock=lambda: now[0])
    async with pacer.slot():
        pass  # the only permit rests until 1.02
    waiting = asyncio.create_task(pacer.slot().__aenter__())
    await asyncio.sleep(0)
    assert not waiting.done()  # holding the permit, asleep until it is free
    now[0] = 0.5
    waiting.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiting

    async def send() -> None:
        async with pacer.slot():
            pass

    # Free again at 1.02 as it was; used up by the cancelled wait it would rest until
    # 1.52, and lost, never: either way the send below would wait.
    now[0] = 1.1
    sending = asyncio.create_task(send())
    try:
        await asyncio.sleep(0)  # one turn of the loop: a send that need not wait is done
        assert sending.done()
    finally:
        sending.cancel()


def test_concurrency_must_allow_a_send():
    with pytest.raises(ValueError, match="concurrency"):
        Pacer(per_second=10, concurrency=0)


async def test_a_provider_whose_clock_runs_one_percent_slow_still_sees_the_limit_kept():
    """Back-to-back sends that answer at once: the provider's receipts are a window apart by
    our clock, which its slower clock would squeeze below one second without a margin."""
    pacer = Pacer(per_second=5, concurrency=5)
    received: list[float] = []

    async def send() -> None:
        async with pacer.slot():
            received.append(time.monotonic() * 0.99)  # the provider's clock: 1 % slow

    await asyncio.gather(*(send() for _ in range(15)))
    assert busiest_window(received, 1.0) <= 5
