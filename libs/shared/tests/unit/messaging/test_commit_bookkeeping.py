"""Which applied offsets a group member may commit, by when their records were fetched.

The member is a stub that records commits; the clock is the test's. The rule under test:
an offset goes out once the gate vouches for a moment after its records were fetched, and
never if they were fetched before a disturbance, however late they were applied.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiokafka.structs import TopicPartition

from careflow.shared.messaging import subscription

TP = TopicPartition("probe", 0)
OTHER = TopicPartition("probe", 1)


class Member:
    def __init__(self) -> None:
        self.commits: list[dict[TopicPartition, int]] = []

    def assignment(self) -> set[TopicPartition]:
        return {TP, OTHER}

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.commits.append(dict(offsets))


class Gate:
    def __init__(self) -> None:
        self.vouched, self.disturbed = float("-inf"), float("-inf")

    def commit_horizon(self) -> tuple[float, float]:
        return self.vouched, self.disturbed

    def note_disturbance(self) -> None:
        raise AssertionError("not used here")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(subscription.time, "monotonic", clock)
    return clock


async def _settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def _commits(gate: Gate, member: Member) -> Any:
    return subscription._Commits(member, gate)  # type: ignore[arg-type]


async def test_an_offset_goes_out_once_a_check_began_after_its_fetch(clock: Clock) -> None:
    gate, member = Gate(), Member()
    commits = await _commits(gate, member)
    try:
        commits.fetched(TP, 9)  # records 0-9 fetched at 100.0
        clock.now = 101.0
        commits.applied(TP, 5)
        commits.applied(TP, 10)
        gate.vouched = 100.0  # began as they were fetched: not after
        commits.release()
        await _settle()
        assert member.commits == []
        gate.vouched = 100.5
        commits.release()
        await _settle()
        assert member.commits == [{TP: 10}]
    finally:
        await commits.abandon()


async def test_records_fetched_before_a_disturbance_are_never_committed_even_if_applied_after(
    clock: Clock,
) -> None:
    gate, member = Gate(), Member()
    commits = await _commits(gate, member)
    try:
        commits.fetched(TP, 9)  # fetched from the broker as it was
        commits.fetched(OTHER, 4)
        clock.now = 101.0
        gate.disturbed = 101.0  # a failed fetch or check: it may have restarted
        clock.now = 102.0
        commits.applied(TP, 10)  # applied after the disturbance, fetched before it
        commits.fetched(OTHER, 7)  # fetched after it
        clock.now = 102.05
        commits.applied(OTHER, 8)
        gate.vouched = 103.0
        commits.release()
        await _settle()
        assert member.commits == [{OTHER: 8}]
    finally:
        await commits.abandon()


async def test_a_partition_applied_batch_by_batch_is_vouched_for_up_to_the_check(
    clock: Clock,
) -> None:
    gate, member = Gate(), Member()
    commits = await _commits(gate, member)
    try:
        for second in range(10):  # a fetch and an applied batch every second
            clock.now = 100.0 + second
            commits.fetched(TP, 10 * second + 9)
            commits.applied(TP, 10 * second + 10)
        gate.vouched = 105.5  # the check began between the fifth and sixth fetch
        commits.release()
        await _settle()
        assert member.commits == [{TP: 60}]
    finally:
        await commits.abandon()
