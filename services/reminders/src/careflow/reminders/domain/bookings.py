"""A booking as reminders follows it: the latest confirmation holds, a cancellation is final."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from careflow.reminders.domain.reminder import CHANNELS


@dataclass
class Booking:
    booking_id: str
    case_id: UUID
    organisation_id: str
    starts_at: datetime | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None

    def confirm(self, starts_at: datetime, confirmed_at: datetime) -> bool:
        """True when this confirmation is news (not older than the one held, not after a
        cancellation): events may arrive redelivered or out of order."""
        if self.cancelled_at is not None:
            return False
        if self.confirmed_at is not None and confirmed_at <= self.confirmed_at:
            return False
        self.starts_at, self.confirmed_at = starts_at, confirmed_at
        return True

    def cancel(self, cancelled_at: datetime) -> bool:
        if self.cancelled_at is not None:
            return False
        self.cancelled_at = cancelled_at
        return True


@dataclass(frozen=True)
class OrganisationSettings:
    """How long before an appointment its reminder goes, and on which channels."""

    organisation_id: str
    appointment_lead: timedelta = timedelta(hours=24)
    appointment_channels: tuple[str, ...] = CHANNELS
