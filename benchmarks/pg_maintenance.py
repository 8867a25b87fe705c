"""What PostgreSQL's autovacuum did while a benchmark ran, phase by phase.

The case flow's latency rises for a while after the overload burst, above what the same
rate gave before it (README, issue 15). An autovacuum or autoanalyze of the tables the
burst filled is one suspect; this samples `pg_stat_activity` for autovacuum workers so a
run shows which table was worked on, and when, beside its latency windows.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field
from typing import Any

import asyncpg

SAMPLE_SECONDS = 0.25
_WORKERS_SQL = """
    SELECT datname, query FROM pg_stat_activity
    WHERE backend_type = 'autovacuum worker' AND query <> ''
"""


@dataclass
class Maintenance:
    """Samples autovacuum workers on a server (any database's DSN reaches them all)."""

    dsn: str
    # (monotonic second, "database: autovacuum's query") per sample that found one working
    seen: list[tuple[float, str]] = field(default_factory=list)
    marks: dict[str, float] = field(default_factory=dict)
    _task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        connection = await asyncpg.connect(self.dsn)
        self._task = asyncio.create_task(self._sample(connection), name="pg-maintenance")

    def mark(self, name: str, at: float | None = None) -> None:
        self.marks[name] = time.monotonic() if at is None else at

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _sample(self, connection: asyncpg.Connection) -> None:
        try:
            while True:
                now = time.monotonic()
                for row in await connection.fetch(_WORKERS_SQL):
                    self.seen.append((now, f"{row['datname']}: {row['query']}"))
                await asyncio.sleep(SAMPLE_SECONDS)
        finally:
            await connection.close()

    def summary(self) -> dict[str, Any]:
        return summarise(self.seen, self.marks)


def summarise(seen: list[tuple[float, str]], marks: dict[str, float]) -> dict[str, Any]:
    """Per phase (from its mark to the next), each job seen with the seconds from the
    phase's start when it was first and last seen."""
    ordered = sorted(marks.items(), key=lambda item: item[1])
    phases: dict[str, dict[str, list[float]]] = {}
    for i, (name, start) in enumerate(ordered):
        end = ordered[i + 1][1] if i + 1 < len(ordered) else float("inf")
        jobs: dict[str, list[float]] = {}
        for at, job in seen:
            if start <= at < end:
                first_last = jobs.setdefault(job, [at - start, at - start])
                first_last[1] = at - start
        phases[name] = jobs
    return phases


def lines(summary: dict[str, Any]) -> list[str]:
    out = []
    for name, jobs in summary.items():
        if not jobs:
            out.append(f"autovacuum during {name}: none seen")
            continue
        described = "; ".join(
            f"{job} at {first:.1f}-{last:.1f} s" for job, (first, last) in sorted(jobs.items())
        )
        out.append(f"autovacuum during {name} (s from its start): {described}")
    return out
