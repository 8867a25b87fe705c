"""Clinics' own case-handling systems report a case's status (received, answered)."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from careflow.complaints.application.integration import report_status
from careflow.complaints.entrypoints.api.deps import Wiring
from careflow.complaints.entrypoints.api.schemas import CaseOut, StatusIn
from careflow.shared.auth.dependencies import Service

router = APIRouter(prefix="/integration", tags=["integration"])


@router.post("/cases/{case_id}/status", response_model=CaseOut)
async def post_status(case_id: UUID, body: StatusIn, system: Service, wiring: Wiring) -> CaseOut:
    """The system the catalogue names for the case's clinic (token subject = its
    `system_id`) reports it received or answered the case; an answer notifies the
    resident. 404 for a case that system was not given."""
    case = await report_status(wiring.context, system.subject, case_id, body.status)
    return CaseOut.of(case, wiring.clock())
