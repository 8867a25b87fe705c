"""Purging the closed queue after its retention period.

Each pass deletes a bounded batch in its own transaction, so a crash loses at
most the batch in flight (the next pass redoes it: the rule reads only the
stored `closed_at`) and replicas share the work (SKIP LOCKED). Audit records
are not touched: the audit log outlives the items it speaks of.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from opentelemetry import metrics

from careflow.workqueue.application.ports import UnitOfWork
from careflow.workqueue.domain.retention import purge_cutoff

log = logging.getLogger(__name__)
PURGED_ITEMS = metrics.get_meter("careflow.workqueue").create_counter(
    "workqueue.purged_items", description="Closed items purged after their retention period."
)


async def purge_expired(
    uow: UnitOfWork, now: datetime, retention: timedelta, *, batch: int = 500
) -> int:
    """Deletes up to `batch` items whose retention ended at `now`; returns how many."""
    async with uow:
        purged = await uow.items.purge_closed(purge_cutoff(now, retention), limit=batch)
        await uow.commit()
    if purged:
        PURGED_ITEMS.add(purged)
    return purged


async def purge_loop(
    uow_factory: Callable[[], UnitOfWork],
    clock: Callable[[], datetime],
    retention: timedelta,
    *,
    every: timedelta,
    batch: int = 500,
) -> None:
    """Runs `purge_expired` until cancelled: a full batch is followed at once by another."""
    while True:
        try:
            while await purge_expired(uow_factory(), clock(), retention, batch=batch) == batch:
                pass
        except Exception:  # the loop must outlive a database outage; the next pass retries
            log.exception("purging the closed queue failed; retrying in %s", every)
        await asyncio.sleep(every.total_seconds())
