"""A request to notify a resident: what about, on which channels, where the link leads."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

PARKED, DECIDED = "parked", "decided"

#: What residents are notified of (the template picks the words; never health details).
RESIDENT_PURPOSES = (
    "new_message",
    "action_instruction",
    "task",
    "coaching",
    "closing_proposed",
    "closing_rejected",
    "case_closed_without_consent",
    "new_goal",
    "incomplete_submission",
    "appointment_reminder",
    "patient_reminder",
    "new_content",
)
PROFESSIONAL_NEW_CHAT = "professional_new_chat"


@dataclass(frozen=True)
class NotificationRequest:
    """One notification for one resident; `notification_id` makes it happen once."""

    notification_id: UUID
    resident_id: UUID | None  # None for a professional's notification
    purpose: str
    channels: tuple[str, ...]
    link: str
    received_at: datetime
    case_id: UUID | None = None
    deadline: datetime | None = None
    not_before: datetime | None = None
    source: str = ""
    #: The organisation the requester acted for; shows a notification without a case to
    #: its professionals (domain/professional_access.py).
    organisation_id: str | None = None


def parked_too_long(request: NotificationRequest, now: datetime, limit_seconds: float) -> bool:
    """A request for an unknown resident waits for contact data at most this long."""
    return (now - request.received_at).total_seconds() >= limit_seconds
