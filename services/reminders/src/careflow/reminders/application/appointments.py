"""Appointment reminders follow the booking events: created on confirmed, recomputed when
the booking moves (a later confirmation), withdrawn on cancelled."""

from __future__ import annotations

import uuid
from datetime import datetime

from careflow.contracts.bookings import BookingCancelled, BookingConfirmed
from careflow.reminders.application.context import Policy
from careflow.reminders.application.outgoing import publish_withdrawals
from careflow.reminders.application.ports import UnitOfWork
from careflow.reminders.domain.bookings import Booking
from careflow.reminders.domain.reminder import Kind, Reminder, Source, appointment_send_times


async def on_booking_confirmed(
    event: BookingConfirmed, uow: UnitOfWork, policy: Policy, now: datetime
) -> None:
    booking = await uow.projections.booking(event.booking_id) or Booking(
        event.booking_id, event.case_id, event.organisation_id
    )
    if not booking.confirm(event.starts_at, event.confirmed_at):
        return  # older than the confirmation held, or after the cancellation
    await uow.projections.save_booking(booking)
    settings = await uow.projections.settings(event.organisation_id)
    times = appointment_send_times(
        event.starts_at, settings.appointment_lead, now, policy.min_notice
    )
    reminder = await uow.reminders.by_booking(event.booking_id)
    if reminder is None:
        # Whose case: read under the case's lock, so an opening being applied at this
        # moment either committed before (read here) or waits and then finds this reminder.
        await uow.projections.lock_case(event.case_id)
        reminder = Reminder(
            reminder_id=uuid.uuid4(),
            organisation_id=event.organisation_id,
            resident_id=await uow.projections.resident_of_case(event.case_id),
            kind=Kind.APPOINTMENT,
            source=Source.BOOKING,
            due_at=event.starts_at,
            channels=settings.appointment_channels,
            created_at=now,
            updated_at=now,
            booking_id=event.booking_id,
            case_id=event.case_id,
            code=event.service_code,
        )
        reminder.schedule(times)
        await uow.reminders.add(reminder)
        return
    withdrawals = reminder.move(event.starts_at, times, now, "appointment_moved")
    await uow.reminders.save(reminder)
    publish_withdrawals(uow.outbox, withdrawals, now)


async def on_booking_cancelled(event: BookingCancelled, uow: UnitOfWork, now: datetime) -> None:
    booking = await uow.projections.booking(event.booking_id) or Booking(
        event.booking_id, event.case_id, event.organisation_id
    )
    if not booking.cancel(event.cancelled_at):
        return
    await uow.projections.save_booking(booking)
    reminder = await uow.reminders.by_booking(event.booking_id)
    if reminder is None:
        return
    withdrawals = reminder.cancel(now, "appointment_cancelled")
    await uow.reminders.save(reminder)
    publish_withdrawals(uow.outbox, withdrawals, now)


async def on_case_opened(
    case_id: uuid.UUID, resident_id: uuid.UUID, organisation_id: str, uow: UnitOfWork
) -> None:
    """Whose case it is: a booking that arrived first gets its resident now."""
    await uow.projections.lock_case(case_id)
    await uow.projections.note_case(case_id, resident_id, organisation_id)
    await uow.reminders.assign_resident(case_id, resident_id)
