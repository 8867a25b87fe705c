"""The audit log of professionals' reads (shared audit contract)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from careflow.contracts.common import ExternalId
from careflow.messaging.entrypoints.api.deps import Wiring
from careflow.shared.audit import AuditPage
from careflow.shared.audit.dependencies import Auditor, AuditQueryParams

router = APIRouter(tags=["audit"])


@router.get("/audit-records", response_model=AuditPage)
async def audit_records(
    wiring: Wiring,
    auditor: Auditor,
    query: AuditQueryParams,
    resident_id: UUID | None = None,
    case_id: UUID | None = None,
    professional_id: Annotated[ExternalId | None, Query()] = None,
) -> AuditPage:
    """Who read which resident's messages in which case, when and why, newest first, in
    pages of a time range (role `admin` or `auditor`; own organisation only). Not
    itself audited."""
    return await wiring.case_messages.query_audit(
        auditor.organisation,
        query,
        resident_id=resident_id,
        case_id=case_id,
        professional_id=professional_id,
    )
