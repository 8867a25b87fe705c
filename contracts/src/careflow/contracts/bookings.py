"""Appointment events from an organisation's external booking system, on `bookings.appointments.v1`.

Keyed by `booking_id` (the booking system's id), so the confirmation and the
cancellation of one booking stay in order; `case_id` says which case the
booking belongs to. Consumers: intake (the case's bookings section), workqueue
(a resident's cancellation clears "incomplete"). No free text: service and
location are codes.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field, model_validator

from careflow.contracts.base import ContractEvent
from careflow.contracts.common import ExternalId


class BookingEvent(ContractEvent):
    key_field: ClassVar[str] = "booking_id"

    booking_id: ExternalId = Field(description="The booking system's id; the Kafka key.")
    case_id: UUID = Field(description="The case the booking was made from.")
    organisation_id: ExternalId = Field(description="Organisation whose booking system sent it.")


class BookingConfirmed(BookingEvent):
    """A booking was made or moved; the latest confirmation holds."""

    event_type: ClassVar[str] = "careflow.booking.confirmed.v1"

    starts_at: AwareDatetime = Field(description="Start of the appointment (UTC).")
    ends_at: AwareDatetime = Field(description="End of the appointment (UTC).")
    service_code: ExternalId | None = Field(default=None, description="Booked service, a code.")
    location_id: ExternalId | None = Field(default=None, description="Where, an id.")
    confirmed_at: AwareDatetime = Field(description="When the booking system confirmed it (UTC).")

    @model_validator(mode="after")
    def _order(self) -> BookingConfirmed:
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        return self


class BookingCancelled(BookingEvent):
    """A booking was cancelled; a cancellation is final for that booking id."""

    event_type: ClassVar[str] = "careflow.booking.cancelled.v1"

    cancelled_by: Literal["resident", "professional", "system"] = Field(
        description="Who cancelled."
    )
    cancelled_at: AwareDatetime = Field(description="When it was cancelled (UTC).")


BOOKING_EVENTS: tuple[type[BookingEvent], ...] = (BookingConfirmed, BookingCancelled)
