"""Booking events from the booking integration's topic reach the work queue."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from careflow.contracts.bookings import BookingCancelled
from careflow.testing.probe_service import wait_until

from .conftest import submitted


async def _incomplete_task(service):  # type: ignore[no-untyped-def]
    event = submitted(service.org)
    await service.publish(event)
    await service.wait_for_item(event.case_id)
    me = service.token("pro-a")
    base = f"/queue/items/{event.case_id}"
    assert (await service.client.post(f"{base}/take", headers=me)).status_code == 200
    assert (await service.client.post(f"{base}/incomplete", headers=me)).status_code == 200
    return event


def _cancelled(service, event, by: str) -> BookingCancelled:  # type: ignore[no-untyped-def]
    return BookingCancelled(
        booking_id=f"bk-{uuid.uuid4().hex[:8]}",
        case_id=event.case_id,
        organisation_id=service.org,
        cancelled_by=by,  # type: ignore[arg-type]
        cancelled_at=datetime.now(UTC),
    )


async def test_the_resident_cancelling_a_booking_clears_incomplete(service):
    event = await _incomplete_task(service)
    await service.publish(_cancelled(service, event, "resident"))

    async def taken_again() -> bool:
        rows = await service.items_of(event.case_id)
        return rows[0].status == "taken"

    await wait_until(taken_again, within=30)
    assert (await service.outbox_types(event.case_id))[-1] == (
        "careflow.queue_item.incomplete_cleared.v1"
    )


async def test_a_professional_cancelling_a_booking_leaves_the_task_incomplete(service):
    event = await _incomplete_task(service)
    [event_id] = await service.publish(_cancelled(service, event, "professional"))
    await service.wait_for_inbox(event_id)
    [row] = await service.items_of(event.case_id)
    assert row.status == "incomplete"
