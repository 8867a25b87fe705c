"""Values the use cases and the adapters exchange: a claimed send, a list filter, an audit
record."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID


@dataclass(frozen=True)
class DueSend:
    """A claimed send with what its request needs."""

    send_id: UUID
    reminder_id: UUID
    send_at: datetime
    resident_id: UUID
    kind: str
    channels: tuple[str, ...]
    #: The reminder's organisation: the request is made on its behalf.
    organisation_id: str
    #: The booking's case, for an appointment reminder.
    case_id: UUID | None = None
    #: The resident's opt-ins as intake last said (None: not known yet).
    email_opt_in: bool | None = None
    sms_opt_in: bool | None = None


@dataclass(frozen=True)
class SendMark:
    """What a scheduler pass decided for a claimed send."""

    send_id: UUID
    status: str
    channels: tuple[str, ...]
    reason: str | None = None


@dataclass(frozen=True)
class ReminderFilter:
    organisation_id: str
    resident_id: UUID | None = None
    status: str | None = None
    kind: str | None = None
    channel: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    limit: int = 100
    offset: int = 0


@dataclass(frozen=True)
class AuditRecord:
    organisation_id: str
    professional_id: str
    unit_id: str | None
    resident_id: UUID
    action: str
    purpose: str
    at: datetime
