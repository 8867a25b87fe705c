"""The closed queue keeps a case for the retention period, then the purge deletes it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from careflow.workqueue.application.retention import purge_expired
from careflow.workqueue.domain.model import QueueItem, Status
from careflow.workqueue.domain.retention import ENDED, expired

RETENTION = timedelta(days=30)
SECOND = timedelta(seconds=1)


def _closed(build, reason: str = "professional_accepted") -> QueueItem:  # type: ignore[no-untyped-def]
    item = build.taken("pro-a") if reason != "resident_before_taken" else build.item()
    item.close(reason=reason, closed_at=build.now, now=build.now)
    item.pull_events()
    return item


def test_a_closed_item_is_readable_until_its_retention_ends_then_expired(build):
    item = _closed(build)
    assert not expired(item, build.now + RETENTION - SECOND, RETENTION)
    assert expired(item, build.now + RETENTION, RETENTION)
    assert expired(item, build.now + RETENTION + SECOND, RETENTION)


def test_a_removed_item_expires_like_a_closed_one(build):
    item = _closed(build, "resident_before_taken")
    assert item.status is Status.REMOVED
    assert not expired(item, build.now + RETENTION - SECOND, RETENTION)
    assert expired(item, build.now + RETENTION + SECOND, RETENTION)


def test_an_open_item_never_expires(build):
    for item in (build.item(), build.taken("pro-a")):
        assert not expired(item, build.now + 100 * RETENTION, RETENTION)


def test_a_retention_of_zero_is_refused(build):
    with pytest.raises(ValueError, match="positive"):
        expired(_closed(build), build.now, timedelta(0))


class _Items:
    def __init__(self, items: list[QueueItem]) -> None:
        self.rows = {i.case_id: i for i in items}

    async def purge_closed(self, closed_no_later_than, *, limit):  # type: ignore[no-untyped-def]
        doomed = [
            i.case_id
            for i in self.rows.values()
            if i.status in ENDED and i.closed_at is not None and i.closed_at <= closed_no_later_than
        ][:limit]
        for case_id in doomed:
            del self.rows[case_id]
        return len(doomed)


class _UoW:
    def __init__(self, items: list[QueueItem]) -> None:
        self.items = _Items(items)
        self.commits = 0

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


async def test_purge_deletes_what_expired_and_keeps_what_is_still_readable(build):
    old, recent, open_item = _closed(build), _closed(build), build.item()
    old.closed_at = build.now - RETENTION - SECOND
    recent.closed_at = build.now - RETENTION + SECOND
    uow = _UoW([old, recent, open_item])
    assert await purge_expired(uow, build.now, RETENTION) == 1  # type: ignore[arg-type]
    assert set(uow.items.rows) == {recent.case_id, open_item.case_id}
    assert uow.commits == 1


async def test_a_purge_pass_deletes_at_most_one_batch(build):
    items = [_closed(build) for _ in range(3)]
    uow = _UoW(items)
    later = build.now + RETENTION + SECOND
    assert await purge_expired(uow, later, RETENTION, batch=2) == 2  # type: ignore[arg-type]
    assert await purge_expired(uow, later, RETENTION, batch=2) == 1  # type: ignore[arg-type]
    assert uow.items.rows == {}
