"""What use cases need from the outside world; adapters and test fakes provide it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol, Self
from uuid import UUID

from careflow.contracts.base import ContractEvent
from careflow.reminders.domain.bookings import Booking, OrganisationSettings
from careflow.reminders.domain.contacts import ResidentContact
from careflow.reminders.domain.reminder import Reminder
from careflow.reminders.domain.rules import Rule
from careflow.reminders.domain.templates import TemplateText
from careflow.shared.audit import AuditQuery, AuditRecordOut


@dataclass(frozen=True)
class DueSend:
    """A claimed send with what its request needs."""

    send_id: UUID
    reminder_id: UUID
    send_at: datetime
    resident_id: UUID
    kind: str
    channels: tuple[str, ...]


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


class ReminderStore(Protocol):
    async def get(self, reminder_id: UUID, *, for_update: bool = False) -> Reminder | None: ...
    async def by_booking(self, booking_id: str) -> Reminder | None: ...
    async def by_rule(self, rule_id: UUID, resident_id: UUID) -> Reminder | None: ...
    async def add(self, reminder: Reminder) -> None: ...
    async def save(self, reminder: Reminder) -> None: ...
    async def list(self, query: ReminderFilter) -> list[Reminder]: ...
    async def of_resident(self, resident_id: UUID) -> list[Reminder]: ...
    async def assign_resident(self, case_id: UUID, resident_id: UUID) -> None: ...
    async def unsent_on_template(
        self, template_id: UUID, language: str, version: int
    ) -> list[Reminder]: ...


class SendQueue(Protocol):
    async def claim_due(self, now: datetime, limit: int) -> list[DueSend]: ...
    async def mark(
        self,
        send_id: UUID,
        status: str,
        channels: tuple[str, ...],
        at: datetime,
        reason: str | None,
    ) -> None: ...
    async def next_due_at(self) -> datetime | None: ...


class Projections(Protocol):
    async def booking(self, booking_id: str) -> Booking | None: ...
    async def save_booking(self, booking: Booking) -> None: ...
    async def note_case(self, case_id: UUID, resident_id: UUID, organisation_id: str) -> None: ...
    async def resident_of_case(self, case_id: UUID) -> UUID | None: ...
    async def contact(self, resident_id: UUID) -> ResidentContact | None: ...
    async def note_contact(self, contact: ResidentContact) -> None: ...
    async def count_visit(
        self, resident_id: UUID, organisation_id: str, code: str, at: datetime
    ) -> int: ...
    async def settings(self, organisation_id: str) -> OrganisationSettings: ...
    async def save_settings(self, settings: OrganisationSettings, at: datetime) -> None: ...
    async def has_case_in(self, resident_id: UUID, organisation_id: str) -> bool: ...


class Catalogue(Protocol):
    async def rules(self, organisation_id: str) -> list[Rule]: ...
    async def rule(self, rule_id: UUID) -> Rule | None: ...
    async def save_rule(self, rule: Rule) -> None: ...
    async def add_template(
        self, template_id: UUID, organisation_id: str, name: str, at: datetime
    ) -> None: ...
    async def template_organisation(self, template_id: UUID) -> str | None: ...
    async def add_text(self, text: TemplateText) -> None: ...
    async def latest_text(
        self, template_id: UUID, language: str, *, for_update: bool = False
    ) -> TemplateText | None: ...


@dataclass(frozen=True)
class AuditRecord:
    organisation_id: str
    professional_id: str
    unit_id: str | None
    resident_id: UUID
    action: str
    purpose: str
    at: datetime


class AuditLog(Protocol):
    async def record(self, records: list[AuditRecord]) -> None: ...
    async def page(
        self, organisation_id: str, query: AuditQuery, *, resident_id: UUID | None = None
    ) -> list[AuditRecordOut]: ...


class EventOutbox(Protocol):
    def add(self, event: ContractEvent, *, occurred_at: datetime | None = None) -> str: ...


class UnitOfWork(Protocol):
    reminders: ReminderStore
    sends: SendQueue
    projections: Projections
    catalogue: Catalogue
    audit: AuditLog
    outbox: EventOutbox

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...


@dataclass(frozen=True)
class Actor:
    """The professional a command or query runs for (from their token)."""

    professional_id: str
    organisation_id: str
    unit_id: str | None
    is_admin: bool = False
