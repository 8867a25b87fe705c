"""The resident's communication history ("Kommunikation" tab)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from careflow.notification.application.history import (
    ProfessionalReader,
    communication_history,
    professional_history,
    query_audit,
    readable_history,
)
from careflow.notification.domain.history import CURSOR_PATTERN, MAX_CURSOR_LENGTH
from careflow.notification.entrypoints.api.deps import OwnResidentId, Reader, Wiring
from careflow.notification.entrypoints.api.schemas import HistoryOut
from careflow.shared.audit import AuditPage
from careflow.shared.audit.dependencies import Auditor, AuditQueryParams
from careflow.shared.auth.dependencies import Professional

router = APIRouter(tags=["communication history"])
Limit = Annotated[int, Query(ge=1, le=500)]
Cursor = Annotated[
    str | None,
    Query(
        max_length=MAX_CURSOR_LENGTH,
        pattern=CURSOR_PATTERN,
        description="`next_cursor` of the previous page.",
    ),
]


@router.get("/me/communications", response_model=HistoryOut)
async def my_history(
    resident_id: OwnResidentId, wiring: Wiring, limit: Limit = 100, cursor: Cursor = None
) -> HistoryOut:
    """Every notification sent or suppressed for the calling resident, newest first, in
    pages (422 for a cursor this history did not give)."""
    page = await communication_history(resident_id, wiring.uow, limit, cursor)
    return HistoryOut.of(resident_id, page)


@router.get("/residents/{resident_id}/communications", response_model=HistoryOut)
async def resident_history(
    resident_id: UUID, reader: Reader, wiring: Wiring, limit: Limit = 100, cursor: Cursor = None
) -> HistoryOut:
    """A page of a resident's history: the resident themself or their guardian (child
    under 15).

    Anyone else gets 404: whether someone else's history exists is not their business.
    """
    page = await readable_history(
        resident_id, reader, wiring.uow, today=wiring.clock().date(), limit=limit, cursor=cursor
    )
    return HistoryOut.of(resident_id, page)


@router.get("/professional/residents/{resident_id}/communications", response_model=HistoryOut)
async def professional_resident_history(
    resident_id: UUID,
    professional: Professional,
    wiring: Wiring,
    limit: Limit = 100,
    cursor: Cursor = None,
) -> HistoryOut:
    """A page of a resident's notifications about cases of the caller's organisation;
    each page read is audited.

    404 when the resident has no case in the caller's organisation (whether they exist
    elsewhere is not the caller's business).
    """
    reader = ProfessionalReader(professional.subject, professional.organisation, professional.unit)
    page = await professional_history(
        resident_id, reader, wiring.uow, now=wiring.clock(), limit=limit, cursor=cursor
    )
    return HistoryOut.of(resident_id, page)


@router.get("/audit-records", response_model=AuditPage, tags=["audit"])
async def audit_records(
    auditor: Auditor, wiring: Wiring, query: AuditQueryParams, resident_id: UUID | None = None
) -> AuditPage:
    """Who read which resident's communication history, when and why, newest first, in
    pages of a time range (role `admin` or `auditor`; own organisation). Not itself audited."""
    return await query_audit(auditor.organisation, wiring.uow, query, resident_id=resident_id)
