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
    """Runs `refresh_overdue` until cancelled; a failed pass keeps the last snapshot."""
    while True:
        try:
            await refresh_overdue(uow_factory(), clock())
        except Exception:  # the loop must outlive a database outage; the next pass retries
            log.exception("counting overdue items failed; retrying in %s", every)
        await asyncio.sleep(every.total_seconds())
