"""How long a closed case stays in the closed queue (domain.md "Closing")."""

from __future__ import annotations

from datetime import datetime, timedelta

from careflow.workqueue.domain.model import QueueItem, Status

#: Items that only wait for their retention to end; open items are never purged.
ENDED = frozenset({Status.CLOSED, Status.REMOVED})


def purge_cutoff(now: datetime, retention: timedelta) -> datetime:
    """Items closed at or before this instant have had their full retention period."""
    if retention <= timedelta(0):
        raise ValueError("the retention period must be positive")
    return now - retention


def expired(item: QueueItem, now: datetime, retention: timedelta) -> bool:
    """Readable while `now < closed_at + retention`; purged from then on.

    A removed item (closed by the resident before it was taken) is never shown, but
    is kept as long as a closed one so that a late republish of its submission
    still finds it and does not bring the case back into a queue.
    """
    return (
        item.status in ENDED
        and item.closed_at is not None
        and item.closed_at <= purge_cutoff(now, retention)
    )
