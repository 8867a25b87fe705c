"""The audit log of professionals' reads (shared audit contract), and the urgency scale."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from careflow.contracts.common import ExternalId
from careflow.shared.audit import AuditPage
from careflow.shared.audit.dependencies import Auditor, AuditQueryParams
from careflow.workqueue.application import queries
from careflow.workqueue.entrypoints.api.deps import CurrentActor, Wiring
from careflow.workqueue.entrypoints.api.schemas import UrgencyScaleOut

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
    """Who read which resident's data in which case, when and why, newest first, in
    pages of a time range (role `admin` or `auditor`; own organisation only). Not
    itself audited."""
    return await queries.query_audit(
        wiring.uow(),
        auditor.organisation,
        query,
        resident_id=resident_id,
        case_id=case_id,
        professional_id=professional_id,
    )


@router.get("/urgency-scale", response_model=UrgencyScaleOut, tags=["queue"])
async def urgency_scale(wiring: Wiring, actor: CurrentActor) -> UrgencyScaleOut:
    """The urgency classes the caller's organisation uses, with target response times."""
    return UrgencyScaleOut.of(wiring.policies.for_organisation(actor.organisation_id).scale)
