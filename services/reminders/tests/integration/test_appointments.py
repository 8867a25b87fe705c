"""Appointment reminders follow booking events; the scheduler hands them over at their time."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

from careflow.contracts.bookings import BookingCancelled, BookingConfirmed
from careflow.reminders.application import appointments
from careflow.reminders.application.outgoing import request_for
from careflow.reminders.application.scheduler import dispatch_due
from careflow.testing.probe_service import wait_until

from .conftest import Service, case_of

REQUESTED = "careflow.notification.requested.v1"
WITHDRAWN = "careflow.notification_request.withdrawn.v1"


def confirmed(
    booking_id: str, case_id: uuid.UUID, org: str, starts_at: datetime, at: datetime | None = None
) -> BookingConfirmed:
    return BookingConfirmed(
        booking_id=booking_id,
        case_id=case_id,
        organisation_id=org,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=30),
        confirmed_at=at or datetime.now(UTC),
    )


def cancelled(booking_id: str, case_id: uuid.UUID, org: str) -> BookingCancelled:
    return BookingCancelled(
        booking_id=booking_id,
        case_id=case_id,
        organisation_id=org,
        cancelled_by="resident",
        cancelled_at=datetime.now(UTC),
    )


async def booked(service: Service, starts_at: datetime) -> tuple[str, uuid.UUID]:
    resident = await service.resident()
    case_id = uuid.uuid4()
    await service.apply(case_of(resident, service.org, case_id))
    booking_id = f"b-{uuid.uuid4().hex[:10]}"
    await service.apply(confirmed(booking_id, case_id, service.org, starts_at))
    return booking_id, case_id


async def requested_once(service: Service, send_id: uuid.UUID) -> None:
    async def handed_over() -> bool:
        return await service.requests_for(send_id) == [REQUESTED]

    await wait_until(handed_over, within=30)


async def test_a_confirmed_booking_is_reminded_of_at_its_time_once(service: Service) -> None:
    starts = datetime.now(UTC) + timedelta(days=3)
    booking_id, _ = await booked(service, starts)
    (send,) = await service.sends_of_booking(booking_id)
    assert send.send_at == starts - timedelta(hours=24)  # the default lead time
    assert send.status == "scheduled"
    assert await service.requests_for(send.send_id) == []

    service.clock.jump_to(send.send_at + timedelta(milliseconds=100))
    await requested_once(service, send.send_id)
    (send,) = await service.sends_of_booking(booking_id)
    assert send.status == "requested"
    assert send.channels == ["email", "sms"]


async def test_a_moved_booking_is_reminded_of_only_at_its_new_time(service: Service) -> None:
    starts = datetime.now(UTC) + timedelta(days=3)
    booking_id, case_id = await booked(service, starts)
    moved_to = starts + timedelta(days=2)
    await service.apply(confirmed(booking_id, case_id, service.org, moved_to))
    old, new = await service.sends_of_booking(booking_id)
    assert (old.status, old.reason) == ("withdrawn", "appointment_moved")
    assert (new.status, new.send_at) == ("scheduled", moved_to - timedelta(hours=24))

    service.clock.jump_to(new.send_at + timedelta(milliseconds=100))
    await requested_once(service, new.send_id)
    assert await service.requests_for(old.send_id) == []


async def test_an_older_confirmation_arriving_late_moves_nothing(service: Service) -> None:
    starts = datetime.now(UTC) + timedelta(days=3)
    booking_id, case_id = await booked(service, starts)
    stale = confirmed(
        booking_id,
        case_id,
        service.org,
        starts + timedelta(days=9),
        at=datetime.now(UTC) - timedelta(hours=1),
    )
    await service.apply(stale)
    (send,) = await service.sends_of_booking(booking_id)
    assert (send.status, send.send_at) == ("scheduled", starts - timedelta(hours=24))


async def test_a_booking_cancelled_two_seconds_before_the_send_time_is_not_reminded_of(
    service: Service,
) -> None:
    starts = datetime.now(UTC) + timedelta(days=3)
    booking_id, case_id = await booked(service, starts)
    (send,) = await service.sends_of_booking(booking_id)
    service.clock.jump_to(send.send_at - timedelta(seconds=2))
    await service.apply(cancelled(booking_id, case_id, service.org))
    service.clock.jump_to(send.send_at + timedelta(seconds=5))
    # A pass of our own at the later time: whatever the loop does, this one finds nothing.
    assert await dispatch_due(service.container.uow(), service.clock(), 100) >= 0
    (send,) = await service.sends_of_booking(booking_id)
    assert (send.status, send.reason) == ("withdrawn", "appointment_cancelled")
    assert await service.requests_for(send.send_id) == []


async def test_a_cancellation_after_the_hand_over_withdraws_the_request(service: Service) -> None:
    starts = datetime.now(UTC) + timedelta(hours=30)
    booking_id, case_id = await booked(service, starts)
    (send,) = await service.sends_of_booking(booking_id)
    service.clock.jump_to(send.send_at + timedelta(milliseconds=100))
    await requested_once(service, send.send_id)
    await service.apply(cancelled(booking_id, case_id, service.org))
    assert await service.requests_for(send.send_id) == [REQUESTED, WITHDRAWN]


async def test_a_booking_arriving_before_its_case_waits_for_the_resident(service: Service) -> None:
    resident = await service.resident()
    case_id = uuid.uuid4()
    booking_id = f"b-{uuid.uuid4().hex[:10]}"
    starts = datetime.now(UTC) + timedelta(hours=30)
    await service.apply(confirmed(booking_id, case_id, service.org, starts))
    (send,) = await service.sends_of_booking(booking_id)
    service.clock.jump_to(send.send_at + timedelta(seconds=1))
    await dispatch_due(service.container.uow(), service.clock(), 100)
    assert await service.requests_for(send.send_id) == []  # whom to remind is not known yet
    await service.apply(case_of(resident, service.org, case_id))
    await requested_once(service, send.send_id)


async def test_the_organisations_settings_decide_lead_time_and_channels(service: Service) -> None:
    body = {"appointment_lead_minutes": 90, "appointment_channels": ["sms"]}
    refused = await service.client.put("/settings", json=body, headers=service.token())
    assert refused.status_code == 403
    saved = await service.client.put("/settings", json=body, headers=service.admin())
    assert saved.status_code == 200, saved.text
    read = await service.client.get("/settings", headers=service.token())
    assert read.json()["appointment_lead_minutes"] == 90
    starts = datetime.now(UTC) + timedelta(days=2)
    booking_id, _ = await booked(service, starts)
    (send,) = await service.sends_of_booking(booking_id)
    assert send.send_at == starts - timedelta(minutes=90)
    (reminder,) = await service.sql(
        "SELECT channels FROM reminders WHERE booking_id = :b", b=booking_id
    )
    assert reminder.channels == ["sms"]


async def test_a_cancellation_racing_a_scheduler_pass_waits_for_it_then_withdraws(
    service: Service,
) -> None:
    starts = datetime.now(UTC) + timedelta(hours=30)
    booking_id, case_id = await booked(service, starts)
    (send,) = await service.sends_of_booking(booking_id)
    at = send.send_at + timedelta(seconds=1)  # this pass's clock; the service's stays real
    scheduler_pass = service.container.uow()
    async with scheduler_pass:
        (claimed,) = [
            d for d in await scheduler_pass.sends.claim_due(at, 10_000) if d.send_id == send.send_id
        ]

        async def cancel() -> None:
            async with service.container.uow() as uow:
                await appointments.on_booking_cancelled(
                    cancelled(booking_id, case_id, service.org), uow, at
                )
                await uow.commit()

        cancelling = asyncio.create_task(cancel())
        await asyncio.sleep(0.5)
        assert not cancelling.done()  # it waits for the send the pass holds
        scheduler_pass.outbox.add(request_for(claimed, ("email",), at))
        await scheduler_pass.sends.mark(send.send_id, "requested", ("email",), at, None)
        await scheduler_pass.commit()
    await cancelling
    assert await service.requests_for(send.send_id) == [REQUESTED, WITHDRAWN]


async def test_a_case_opening_racing_its_bookings_first_confirmation_reaches_the_reminder(
    service: Service,
) -> None:
    """The two arrive on different topics and are applied at the same time."""
    resident, case_id = uuid.uuid4(), uuid.uuid4()
    booking_id = f"b-{uuid.uuid4().hex[:10]}"
    starts = datetime.now(UTC) + timedelta(hours=30)
    confirming = service.container.uow()
    async with confirming:
        await appointments.on_booking_confirmed(
            confirmed(booking_id, case_id, service.org, starts),
            confirming,
            service.container.policy,
            service.clock(),
        )

        async def open_case() -> None:
            async with service.container.uow() as uow:
                await appointments.on_case_opened(case_id, resident, service.org, uow)
                await uow.commit()

        opening = asyncio.create_task(open_case())
        await asyncio.sleep(0.5)
        assert not opening.done()  # it waits for the confirmation's transaction
        await confirming.commit()
    await opening
    (reminder,) = await service.sql(
        "SELECT resident_id FROM reminders WHERE booking_id = :b", b=booking_id
    )
    assert reminder.resident_id == resident


async def test_a_booking_moved_again_and_again_keeps_one_open_send(service: Service) -> None:
    now = datetime.now(UTC)
    booking_id, case_id = await booked(service, now + timedelta(days=3))
    for days in (4, 5, 6):
        await service.apply(confirmed(booking_id, case_id, service.org, now + timedelta(days=days)))
    sends = await service.sends_of_booking(booking_id)
    assert [s.send_at for s in sends] == [
        now + timedelta(days=days) - timedelta(hours=24) for days in (3, 4, 5, 6)
    ]
    assert [(s.status, s.reason) for s in sends] == [("withdrawn", "appointment_moved")] * 3 + [
        ("scheduled", None)
    ]
    # Each withdrawn at its own move, and left so by the later ones.
    withdrawn_at = [s.withdrawn_at for s in sends[:3]]
    assert withdrawn_at == sorted(set(withdrawn_at))
