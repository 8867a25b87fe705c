"""A reminder and its send times; the rules that move, withdraw and schedule them.

A send is `scheduled` until the scheduler hands it to notification (`requested`),
or `withdrawn` before that (or after, when the reason went away before
notification sent it: then a withdrawal is published). A send that found every
channel opted out is `skipped`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from uuid import UUID

EMAIL, SMS = "email", "sms"
CHANNELS = (EMAIL, SMS)


class Kind(StrEnum):
    APPOINTMENT = "appointment"  # from a booking
    PATIENT = "patient"  # manual or from a rule: the next due service
    INTERNAL = "internal"  # for staff, never sent to the resident


class Source(StrEnum):
    BOOKING = "booking"
    RULE = "rule"
    MANUAL = "manual"


class Status(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class SendStatus(StrEnum):
    SCHEDULED = "scheduled"
    REQUESTED = "requested"
    WITHDRAWN = "withdrawn"
    SKIPPED = "skipped"


#: The notification purpose of each kind's sends (contracts.notifications).
PURPOSES = {Kind.APPOINTMENT: "appointment_reminder", Kind.PATIENT: "patient_reminder"}


@dataclass
class Send:
    send_id: UUID
    reminder_id: UUID
    send_at: datetime
    status: SendStatus = SendStatus.SCHEDULED
    requested_at: datetime | None = None
    withdrawn_at: datetime | None = None
    reason: str | None = None

    @property
    def open(self) -> bool:
        return self.status in (SendStatus.SCHEDULED, SendStatus.REQUESTED)


@dataclass(frozen=True)
class Withdrawal:
    """A send already handed to notification that must not go out any more."""

    notification_id: UUID
    reason: str


@dataclass
class Reminder:
    reminder_id: UUID
    organisation_id: str
    resident_id: UUID | None
    kind: Kind
    source: Source
    due_at: datetime
    channels: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    status: Status = Status.ACTIVE
    booking_id: str | None = None
    case_id: UUID | None = None
    rule_id: UUID | None = None
    code: str | None = None
    template_id: UUID | None = None
    template_version: int | None = None
    language: str | None = None
    text: str | None = None
    assignee: str | None = None
    created_by: str | None = None
    sends: list[Send] = field(default_factory=list)

    @property
    def due_date(self) -> date:
        return self.due_at.date()

    def schedule(self, times: list[datetime]) -> None:
        for at in sorted(times):
            self.sends.append(Send(uuid.uuid4(), self.reminder_id, at))

    def withdraw_open(self, now: datetime, reason: str) -> list[Withdrawal]:
        """Every send not yet out is withdrawn; those notification already holds are
        returned, so their withdrawal is published."""
        published = []
        for send in self.sends:
            if not send.open:
                continue
            if send.status is SendStatus.REQUESTED:
                published.append(Withdrawal(send.send_id, reason))
            send.status, send.withdrawn_at, send.reason = SendStatus.WITHDRAWN, now, reason
        self.updated_at = now
        return published

    def move(
        self, due_at: datetime, times: list[datetime], now: datetime, reason: str
    ) -> list[Withdrawal]:
        """A new due time: sends for the old one are withdrawn, the new ones scheduled.

        A requested send is withdrawn too: it may not have reached the resident yet,
        and what it says (the old time) must not.
        """
        withdrawals = self.withdraw_open(now, reason)
        self.due_at = due_at
        self.status = Status.ACTIVE
        self.schedule(times)
        return withdrawals

    def cancel(self, now: datetime, reason: str) -> list[Withdrawal]:
        withdrawals = self.withdraw_open(now, reason)
        self.status = Status.CANCELLED
        return withdrawals

    def open_sends(self) -> list[Send]:
        return [s for s in self.sends if s.status is SendStatus.SCHEDULED]


def appointment_send_times(
    starts_at: datetime, lead: timedelta, now: datetime, min_notice: timedelta
) -> list[datetime]:
    """One send `lead` before the appointment; at once when that moment has passed but
    the appointment is still far enough ahead to be told of; none otherwise."""
    at = starts_at - lead
    if at >= now:
        return [at]
    if starts_at - now > min_notice:
        return [now]
    return []


def wanted_channels(
    channels: tuple[str, ...], email_opt_in: bool | None, sms_opt_in: bool | None
) -> tuple[str, ...]:
    """The channels a send asks for: an opt-out of one channel leaves the other.

    None = not known yet: asked for, notification decides when it knows.
    """
    opted = {EMAIL: email_opt_in, SMS: sms_opt_in}
    return tuple(c for c in channels if opted[c] is not False)
