"""The queue shows each task's time left to its class's target, from its organisation's scale."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from careflow.workqueue.application.overdue import (
    OverdueSnapshot,
    QueueSnapshot,
    refresh_overdue,
    refresh_queue,
)

from .conftest import submitted

NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
#: This test organisation answers P1 within 3 hours (the default is 2).
OWN_SCALE = {"levels": {"P1": {"target_response": "PT3H"}}}


@pytest.mark.parametrize("service", [OWN_SCALE], indirect=True)
async def test_the_queue_shows_time_left_by_the_organisations_scale_and_counts_overdue(service):
    service.container.clock = lambda: NOW  # the reads' clock
    on_time = submitted(service.org, urgency="P1", submitted_at=NOW - timedelta(hours=1))
    late = submitted(service.org, urgency="P1", submitted_at=NOW - timedelta(hours=4))
    no_target = submitted(service.org, urgency="P8", submitted_at=NOW - timedelta(days=30))
    await service.publish(on_time, late, no_target)
    for event in (on_time, late, no_target):
        await service.wait_for_item(event.case_id)

    response = await service.client.get("/queue", headers=service.token("pro-a"))
    assert response.status_code == 200, response.text
    shown = {i["case_id"]: (i["time_left_seconds"], i["overdue"]) for i in response.json()["items"]}
    assert shown == {
        str(on_time.case_id): (2 * 3600.0, False),
        str(late.case_id): (-3600.0, True),
        str(no_target.case_id): (None, False),
    }
    scale = await service.client.get("/urgency-scale", headers=service.token("pro-a"))
    assert scale.json()["organisation_id"] == service.org

    async def overdue_here() -> dict[tuple[str, str], int]:
        counts = await refresh_overdue(service.container.uow(), NOW, OverdueSnapshot())
        return {key: n for key, n in counts.items() if key[0] == service.org}

    assert await overdue_here() == {(service.org, "P1"): 1}

    async def queue_here() -> dict[str, tuple[int, float | None]]:
        rows = await refresh_queue(service.container.uow(), NOW, QueueSnapshot())
        return {code: row for (org, code), row in rows.items() if org == service.org}

    # The late P1 is the earliest due: an hour past its 3-hour target.
    assert await queue_here() == {"P1": (2, -3600.0), "P8": (1, None)}

    taken = await service.client.post(
        f"/queue/items/{late.case_id}/take", headers=service.token("pro-a")
    )
    assert (taken.json()["time_left_seconds"], taken.json()["overdue"]) == (None, False)
    assert await overdue_here() == {}
    assert await queue_here() == {"P1": (1, 2 * 3600.0), "P8": (1, None)}


async def test_an_organisation_without_its_own_scale_uses_the_default_targets(service):
    service.container.clock = lambda: NOW
    event = submitted(service.org, urgency="P1", submitted_at=NOW - timedelta(hours=1))
    await service.publish(event)
    await service.wait_for_item(event.case_id)
    opened = await service.client.get(
        f"/queue/items/{event.case_id}", headers=service.token("pro-a")
    )
    assert opened.json()["time_left_seconds"] == 3600.0  # P1 default: within 2 hours
