"""The resident's communication history ("Kommunikation" tab)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from careflow.notification.application.history import (
    ProfessionalReader,
    audit_log,
    communication_history,
    professional_history,
)
from careflow.notification.entrypoints.api.deps import (
    Auditor,
    OwnResidentId,
    ReadableResident,
    Wiring,
)
from careflow.notification.entrypoints.api.schemas import (
    AuditPage,
    AuditRecordOut,
    HistoryOut,
    NotificationOut,
)
from careflow.shared.auth.dependencies import Professional

router = APIRouter(tags=["communication history"])
Limit = Annotated[int, Query(ge=1, le=500)]


@router.get("/me/communications", response_model=HistoryOut)
async def my_history(resident_id: OwnResidentId, wiring: Wiring, limit: Limit = 100) -> HistoryOut:
    """Every notification sent or suppressed for the calling resident, newest first."""
    return await _history(resident_id, wiring, limit)


@router.get("/residents/{resident_id}/communications", response_model=HistoryOut)
async def resident_history(
    resident_id: ReadableResident, wiring: Wiring, limit: Limit = 100
) -> HistoryOut:
    """A resident's history: the resident themself or their guardian (child under 15)."""
    return await _history(resident_id, wiring, limit)


@router.get("/professional/residents/{resident_id}/communications", response_model=HistoryOut)
async def professional_resident_history(
    resident_id: UUID, professional: Professional, wiring: Wiring, limit: Limit = 100
) -> HistoryOut:
    """A resident's notifications about cases of the caller's organisation; the read is audited.

    404 when the resident has no case in the caller's organisation (whether they exist
    elsewhere is not the caller's business).
    """
    reader = ProfessionalReader(professional.subject, professional.organisation, professional.unit)
    items = await professional_history(
        resident_id, reader, wiring.uow, now=wiring.clock(), limit=limit
    )
    return HistoryOut(
        resident_id=resident_id, items=[NotificationOut.model_validate(i) for i in items]
    )


@router.get("/audit-records", response_model=AuditPage, tags=["audit"])
async def audit_records(
    auditor: Auditor, wiring: Wiring, resident_id: UUID | None = None, limit: Limit = 100
) -> AuditPage:
    """Who read which resident's communication history (admin or auditor; own organisation)."""
    records = await audit_log(
        auditor.organisation, wiring.uow, resident_id=resident_id, limit=limit
    )
    return AuditPage(items=[AuditRecordOut.model_validate(r) for r in records])


async def _history(resident_id: UUID, wiring: Wiring, limit: int) -> HistoryOut:
    items = await communication_history(resident_id, wiring.uow, limit)
    return HistoryOut(
        resident_id=resident_id, items=[NotificationOut.model_validate(i) for i in items]
    )
