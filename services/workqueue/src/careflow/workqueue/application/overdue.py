"""The overdue gauge: free tasks past their class's target, per organisation and class.

Counting at scrape time would need a database query inside the exporter's
synchronous callback, so a loop refreshes a snapshot instead (one grouped query
on a partial index of free items) and the gauge reports the latest snapshot.
Labels are the organisation id and the class code: no resident or case data.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timedelta

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from careflow.workqueue.application.ports import UnitOfWork

log = logging.getLogger(__name__)

Key = tuple[str, str]  # (organisation id, urgency class)


class OverdueSnapshot:
    """The latest counts; a key that was once overdue reports 0 when it no longer is,
    so a dashboard sees the backlog clear instead of a stale last value."""

    def __init__(self) -> None:
        self._counts: dict[Key, int] = {}

    def replace(self, counts: Mapping[Key, int]) -> None:
        self._counts = {key: 0 for key in self._counts} | dict(counts)

    def observations(self, _options: CallbackOptions | None = None) -> Iterable[Observation]:
        return [
            Observation(n, {"organisation_id": org, "urgency": code})
            for (org, code), n in self._counts.items()
        ]


SNAPSHOT = OverdueSnapshot()
metrics.get_meter("careflow.workqueue").create_observable_gauge(
    "workqueue.overdue_items",
    callbacks=[SNAPSHOT.observations],
    unit="1",
    description="Free tasks past their urgency class's target response time, per "
    "organisation and class (refreshed by the overdue loop).",
)


class QueueSnapshot:
    """Free items per organisation and class, and the time until the earliest is due
    (its target response time from submission): the queue against its targets."""

    def __init__(self) -> None:
        self._rows: dict[Key, tuple[int, float | None]] = {}

    def replace(self, rows: Mapping[Key, tuple[int, float | None]]) -> None:
        # A class whose queue emptied reports 0 items and no due time.
        self._rows = {key: (0, None) for key in self._rows} | dict(rows)

    def sizes(self, _options: CallbackOptions | None = None) -> Iterable[Observation]:
        return [
            Observation(n, {"organisation_id": org, "urgency": code})
            for (org, code), (n, _due) in self._rows.items()
        ]

    def due_in(self, _options: CallbackOptions | None = None) -> Iterable[Observation]:
        return [
            Observation(due, {"organisation_id": org, "urgency": code})
            for (org, code), (_n, due) in self._rows.items()
            if due is not None
        ]


QUEUE = QueueSnapshot()
_meter = metrics.get_meter("careflow.workqueue")
_meter.create_observable_gauge(
    "workqueue.free_items",
    callbacks=[QUEUE.sizes],
    unit="1",
    description="Free tasks per organisation and urgency class (refreshed by the overdue loop).",
)
_meter.create_observable_gauge(
    "workqueue.earliest_due_in",
    callbacks=[QUEUE.due_in],
    unit="s",
    description="Seconds until the earliest free task of a class reaches its target response "
    "time; negative when it is already late (classes with a target only).",
)


async def refresh_queue(
    uow: UnitOfWork, now: datetime, snapshot: QueueSnapshot = QUEUE
) -> dict[Key, tuple[int, float | None]]:
    """Reads the free items per class at `now` and publishes them to the gauges."""
    async with uow:
        rows = await uow.items.free_by_urgency(now)
    snapshot.replace(rows)
    return rows


async def refresh_overdue(
    uow: UnitOfWork, now: datetime, snapshot: OverdueSnapshot = SNAPSHOT
) -> dict[Key, int]:
    """Counts the overdue free tasks at `now` and publishes them to the gauge."""
    async with uow:
        counts = await uow.items.count_overdue(now)
    snapshot.replace(counts)
    return counts


async def overdue_loop(
    uow_factory: Callable[[], UnitOfWork],
    clock: Callable[[], datetime],
    *,
    every: timedelta,
) -> None:
    """Runs `refresh_overdue` and `refresh_queue` until cancelled; a failed pass keeps
    the last snapshots."""
    while True:
        try:
            now = clock()
            await refresh_overdue(uow_factory(), now)
            await refresh_queue(uow_factory(), now)
        except Exception:  # the loop must outlive a database outage; the next pass retries
            log.exception("counting overdue items failed; retrying in %s", every)
        await asyncio.sleep(every.total_seconds())
