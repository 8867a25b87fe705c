"""What intake's use cases need from the outside world; adapters and test fakes provide it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, Protocol, Self
from uuid import UUID

from careflow.contracts.base import ContractEvent
from careflow.intake.domain.bookings import Booking
from careflow.intake.domain.case import Case
from careflow.intake.domain.events import DomainEvent
from careflow.intake.domain.parking import ParkedEvent
from careflow.intake.domain.residents import Resident
from careflow.shared.audit import AuditQuery, AuditRecordOut
from careflow.shared.db.write_batch import ExpectationFailed

Clock = Callable[[], datetime]

__all__ = ["ExpectationFailed"]  # what a commit raises when an expectation did not hold


class CaseStore(Protocol):
    async def get(self, case_id: UUID, *, lock: bool = False) -> Case | None: ...
    async def save(self, case: Case, events: Sequence[DomainEvent]) -> None: ...
    async def latest_events(self, case_id: UUID, limit: int = 3) -> list[dict[str, Any]]: ...
    async def open_cases_of(
        self, resident_id: UUID, organisation_id: str, *, besides: UUID, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The `limit` newest other open, shared cases there, and how many there are."""

    async def of_residents(
        self, resident_ids: Sequence[UUID], *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]: ...
    async def due_for_closing(self, now: datetime, limit: int) -> list[UUID]: ...


class ResidentStore(Protocol):
    async def get(self, resident_id: UUID, *, lock: bool = False) -> Resident | None: ...
    async def save(self, resident: Resident) -> None: ...
    def expect_phone(self, resident_id: UUID, phone: str) -> None:
        """The commit writes nothing, and raises ExpectationFailed, unless `phone` is the
        resident's number on file when it is sent."""


class BookingStore(Protocol):
    async def get(self, booking_id: str) -> Booking | None: ...
    async def save(self, booking: Booking) -> None: ...
    async def of_case(
        self, case_id: UUID, organisation_id: str, *, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The `limit` latest-starting bookings, in start order, and how many there are."""


class AuditLog(Protocol):
    async def record(self, **entry: Any) -> None: ...
    async def page(
        self,
        organisation_id: str,
        query: AuditQuery,
        *,
        resident_id: UUID | None = None,
        case_id: UUID | None = None,
        professional_id: str | None = None,
    ) -> list[AuditRecordOut]:
        """Up to `query.limit + 1` records of the organisation, newest first."""


class ParkedEvents(Protocol):
    async def add(self, event: ParkedEvent) -> None: ...
    async def take_for_case(self, case_id: UUID) -> list[ParkedEvent]: ...
    async def cases_now_known(self, limit: int) -> list[UUID]: ...
    async def expired(self, cutoff: datetime, limit: int) -> list[ParkedEvent]: ...
    async def remove(self, ids: Sequence[int]) -> None: ...
    async def forget_processed(self, events: Sequence[ParkedEvent]) -> None: ...


class EventOutbox(Protocol):
    def add(self, event: ContractEvent, *, occurred_at: datetime | None = None) -> str: ...


class UnitOfWork(Protocol):
    """One transaction: the stores read and write in it, `commit` makes it all durable."""

    cases: CaseStore
    residents: ResidentStore
    bookings: BookingStore
    audit: AuditLog
    parked: ParkedEvents
    outbox: EventOutbox

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...


class DeadLetters(Protocol):
    """Where a parked event goes when its case never arrives (replayable from there)."""

    async def send(self, event: ParkedEvent, *, reason: str, code: str) -> None: ...


class ParkingMetrics(Protocol):
    """Counts of work-queue events parked, applied late and given up on (labels: type only)."""

    def parked(self, event_type: str) -> None: ...
    def released(self, count: int) -> None: ...
    def dead_lettered(self, event_type: str) -> None: ...
