"""Rate limits on local views (application/limits.py), over an in-memory table shared by
two limiters as two replicas share PostgreSQL: far from the limit no request waits for
the table, near it the table decides exactly, and the overshoot is what the module
states: at most what reaches a replica in one flush interval on a stale view."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from careflow.gateway.application.limits import Limits, RateLimiter
from careflow.gateway.domain.limits import Counts

NOW = 1_000_020.0  # 20 s into a 60 s window


class SharedTable:
    """The upsert's semantics (adapters/rate_counter.py) in memory; counts statements."""

    def __init__(self) -> None:
        self.rows: dict[bytes, Counts] = {}
        self.statements = 0

    async def count(
        self, increments: Mapping[bytes, int], started: int, length: int
    ) -> Mapping[bytes, Counts]:
        self.statements += 1
        assert list(increments) == sorted(increments)
        out = {}
        for key, n in increments.items():
            row = self.rows.get(key)
            if row is None or row.started < started:
                previous = row.count if row is not None and row.started == started - length else 0
                row = Counts(started, 0, previous)
            row = Counts(row.started, row.count + n, row.previous)
            self.rows[key] = out[key] = row
        return out


def replica(
    table: SharedTable, *, limit: int, flush_interval: float = 0.005, margin_min: int = 10
) -> RateLimiter:
    return RateLimiter(
        table,
        Limits(
            window_seconds=60,
            per_subject=limit,
            per_address=10**9,
            store_timeout=1.0,
            flush_interval=flush_interval,
            fresh_for=30.0,
            margin_ratio=0.1,
            margin_min=margin_min,
        ),
        b"k" * 16,
        lambda: NOW,
    )


async def test_far_from_the_limit_requests_are_admitted_without_waiting_for_the_table():
    table = SharedTable()
    limiter = replica(table, limit=1000)
    try:
        assert await limiter.admit("s", None) is None  # no view yet: decided by the table
        assert table.statements == 1
        for _ in range(50):
            assert await limiter.admit("s", None) is None
        # Fifty admissions and not one statement on their way ...
        assert table.statements == 1
        # ... their counts reached the table together, in one statement, once the
        # flusher's interval (5 ms) has passed: waited for, not slept for, as a loaded
        # machine may wake the flusher after a fixed sleep of the test's has ended.
        for _ in range(2000):
            if table.statements > 1:
                break
            await asyncio.sleep(0.005)
        assert table.statements == 2
        assert next(iter(table.rows.values())).count == 51
    finally:
        await limiter.close()


async def test_near_the_limit_the_table_decides_exactly_even_in_one_batch():
    table = SharedTable()
    limiter = replica(table, limit=10)
    try:
        answers = await asyncio.gather(*(limiter.admit("s", None) for _ in range(15)))
        # One statement for all fifteen, each judged at its own position among them.
        assert table.statements == 1
        assert answers[:10] == [None] * 10
        assert all(wait is not None and wait >= 1 for wait in answers[10:])
    finally:
        await limiter.close()


async def test_two_replicas_hold_the_limit_together():
    table = SharedTable()
    first, second = replica(table, limit=40), replica(table, limit=40)
    try:
        admitted = unwaited = 0
        for i in range(60):
            before = table.statements
            wait = await (first if i % 2 == 0 else second).admit("s", None)
            admitted += wait is None
            unwaited += table.statements == before
            await asyncio.sleep(0.01)  # every local admission flushed before the next
        assert admitted == 40
        # Below the margin (30 of 40) most did not wait for the table.
        assert unwaited >= 20
    finally:
        await first.close()
        await second.close()


async def test_the_overshoot_is_what_reaches_a_replica_in_one_flush_on_a_stale_view():
    table = SharedTable()
    # A flush interval longer than the test: only requests that wait send counts.
    stale = replica(table, limit=100, flush_interval=3600)
    busy = replica(table, limit=100)
    try:
        assert await stale.admit("s", None) is None  # its view: 1
        while await busy.admit("s", None) is None:  # the other replica uses up the rest
            pass
        assert table.rows[next(iter(table.rows))].count == 101
        # The stale replica still sees 1 of 100: what reaches it before its next flush
        # is admitted on that view, up to the margin below the limit ...
        burst = [await stale.admit("s", None) for _ in range(30)]
        assert burst == [None] * 30
        # ... and once it has flushed (every flush interval) it refuses like the other.
        await stale.flush()
        assert await stale.admit("s", None) is not None
        assert await busy.admit("s", None) is not None
    finally:
        await stale.close()
        await busy.close()


async def test_a_store_that_does_not_answer_admits_and_keeps_the_counts():
    class Flaky(SharedTable):
        down = True

        async def count(
            self, increments: Mapping[bytes, int], started: int, length: int
        ) -> Mapping[bytes, Counts]:
            if self.down:
                raise OSError("down")
            return await super().count(increments, started, length)

    table = Flaky()
    limiter = replica(table, limit=10)
    try:
        assert await limiter.admit("s", "10.0.0.1") is None
        table.down = False
        await limiter.flush()
        # The counts of the request admitted while the store was down arrive later.
        assert sorted(c.count for c in table.rows.values()) == [1, 1]
    finally:
        await limiter.close()
