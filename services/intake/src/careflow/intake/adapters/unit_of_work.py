"""Intake's unit of work: the platform's transaction + outbox, with intake's repositories."""

from __future__ import annotations

from typing import Self

from careflow.intake.adapters.parked_events import ParkedEventRepository
from careflow.intake.adapters.repository import (
    AuditLog,
    BookingRepository,
    CaseRepository,
    ResidentRepository,
)
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork


class IntakeUnitOfWork(SqlUnitOfWork):
    cases: CaseRepository
    residents: ResidentRepository
    audit: AuditLog
    bookings: BookingRepository
    parked: ParkedEventRepository

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.cases = CaseRepository(self.session, self.writes)
        self.residents = ResidentRepository(self.session, self.writes)
        self.audit = AuditLog(self.session)
        self.bookings = BookingRepository(self.session)
        self.parked = ParkedEventRepository(self.session, self.writes)
        return self
