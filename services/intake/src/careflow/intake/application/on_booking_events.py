"""Reactions to the booking integration: the case's bookings section."""

from __future__ import annotations

from careflow.contracts.bookings import BookingCancelled, BookingConfirmed
from careflow.intake.application.ports import UnitOfWork
from careflow.intake.domain.bookings import Booking


async def _booking(uow: UnitOfWork, event: BookingConfirmed | BookingCancelled) -> Booking:
    # Kept even when the case is not here yet: it shows once the case exists.
    return await uow.bookings.get(event.booking_id) or Booking(
        event.booking_id, event.case_id, event.organisation_id
    )


async def on_booking_confirmed(event: BookingConfirmed, uow: UnitOfWork) -> None:
    booking = await _booking(uow, event)
    booking.confirm(
        event.starts_at, event.ends_at, event.confirmed_at, event.service_code, event.location_id
    )
    await uow.bookings.save(booking)


async def on_booking_cancelled(event: BookingCancelled, uow: UnitOfWork) -> None:
    booking = await _booking(uow, event)
    booking.cancel(event.cancelled_at, event.cancelled_by)
    await uow.bookings.save(booking)
