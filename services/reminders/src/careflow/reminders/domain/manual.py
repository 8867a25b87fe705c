"""What a manual reminder must satisfy before it is saved (domain.md "Reminders")."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from careflow.reminders.domain.contacts import ResidentContact, require_contact
from careflow.reminders.domain.errors import DueDateInPast, InvalidInput, NoTimeToSend


def check_manual(
    *,
    due_date: date,
    send_times: list[datetime],
    channels: tuple[str, ...],
    contact: ResidentContact | None,
    now: datetime,
    min_notice: timedelta,
) -> None:
    """Refuses a due date in the past, a send time that leaves no time to send (before
    now + `min_notice`) and a channel without contact data."""
    if due_date < now.date():
        raise DueDateInPast()
    if channels and not send_times:
        raise InvalidInput("A reminder sent to the resident needs at least one send time.")
    if any(at < now + min_notice for at in send_times):
        raise NoTimeToSend()
    require_contact(contact, channels)
