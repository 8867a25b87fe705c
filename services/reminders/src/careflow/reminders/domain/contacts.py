"""What reminders knows of a resident's contact data: presence and opt-ins, never values."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from careflow.reminders.domain.errors import NoContactForChannel
from careflow.reminders.domain.reminder import EMAIL


@dataclass
class ResidentContact:
    resident_id: UUID
    has_email: bool
    has_phone: bool
    email_opt_in: bool
    sms_opt_in: bool
    anonymous: bool
    language: str
    updated_at: datetime

    def can_reach(self, channel: str) -> bool:
        if self.anonymous:
            return False
        return self.has_email if channel == EMAIL else self.has_phone


def require_contact(contact: ResidentContact | None, channels: tuple[str, ...]) -> None:
    """A manual reminder is refused for a channel the resident has no contact data for."""
    for channel in channels:
        if contact is None or not contact.can_reach(channel):
            raise NoContactForChannel(channel)
