"""A case's bookings as the booking system reports them, in any order."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass
class Booking:
    id: str
    case_id: UUID
    organisation_id: str
    status: str = "unknown"  # confirmed | cancelled
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    service_code: str | None = None
    location_id: str | None = None
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None

    def confirm(
        self,
        starts_at: datetime,
        ends_at: datetime,
        confirmed_at: datetime,
        service_code: str | None,
        location_id: str | None,
    ) -> None:
        """The latest confirmation wins; nothing revives a cancelled booking."""
        if self.status == "cancelled":
            return
        if self.confirmed_at is not None and confirmed_at < self.confirmed_at:
            return
        self.status = "confirmed"
        self.starts_at, self.ends_at, self.confirmed_at = starts_at, ends_at, confirmed_at
        self.service_code, self.location_id = service_code, location_id

    def cancel(self, cancelled_at: datetime, cancelled_by: str) -> None:
        """Final, even when it arrives before the confirmation."""
        if self.status == "cancelled":
            return
        self.status, self.cancelled_at, self.cancelled_by = "cancelled", cancelled_at, cancelled_by
