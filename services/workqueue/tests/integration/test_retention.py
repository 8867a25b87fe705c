"""The retention purge on the real database: closed-queue items go when their time is up."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from careflow.contracts.cases import CaseClosed
from careflow.testing.probe_service import wait_until
from careflow.workqueue.application.retention import purge_expired

from .conftest import submitted

RETENTION = timedelta(days=30)
SECOND = timedelta(seconds=1)


def _closed(event, at: datetime) -> CaseClosed:  # type: ignore[no-untyped-def]
    return CaseClosed(
        case_id=event.case_id,
        resident_id=event.resident_id,
        reason="professional_without_consent",
        closed_by="professional",
        professional_id="pro-a",
        closed_at=at,
    )


async def test_an_item_past_its_retention_is_purged_and_a_younger_one_stays_readable(service):
    now = datetime.now(UTC).replace(microsecond=0)  # the injected clock of the purge
    expired, readable, still_open = (submitted(service.org) for _ in range(3))
    await service.publish(
        expired,
        readable,
        still_open,
        _closed(expired, now - RETENTION - SECOND),
        _closed(readable, now - RETENTION + SECOND),
    )

    async def both_closed() -> bool:
        rows = [*await service.items_of(expired.case_id), *await service.items_of(readable.case_id)]
        return [r.status for r in rows] == ["closed", "closed"]

    await wait_until(both_closed, within=30)
    await service.wait_for_item(still_open.case_id)

    assert await purge_expired(service.container.uow(), now, RETENTION) == 1
    assert await service.items_of(expired.case_id) == []
    closed_queue = await service.client.get("/queue/closed", headers=service.token("pro-a"))
    assert [i["case_id"] for i in closed_queue.json()["items"]] == [str(readable.case_id)]
    assert len(await service.items_of(still_open.case_id)) == 1
    # A second pass at the same instant finds nothing more to do.
    assert await purge_expired(service.container.uow(), now, RETENTION) == 0
