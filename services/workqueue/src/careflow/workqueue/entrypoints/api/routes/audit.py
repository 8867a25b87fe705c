"""The audit log of professionals' reads, for admins of the organisation."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query

from careflow.contracts.common import ExternalId
from careflow.contracts.urgency import DEFAULT_SCALE, UrgencyScale
from careflow.shared.http import Instant
from careflow.workqueue.application import queries
from careflow.workqueue.domain.audit import AuditQuery
from careflow.workqueue.entrypoints.api.deps import Admin, CurrentActor, Wiring, domain_problems
from careflow.workqueue.entrypoints.api.schemas import AuditPage, AuditRecordOut

router = APIRouter(tags=["audit"])


@router.get("/audit-records", response_model=AuditPage)
async def audit_records(
    wiring: Wiring,
    admin: Admin,
    resident_id: UUID | None = None,
    case_id: UUID | None = None,
    professional_id: Annotated[ExternalId | None, Query()] = None,
    since: Instant | None = None,
    until: Instant | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> AuditPage:
    """Who read which resident's data in which case, newest first (role `admin`)."""
    query = AuditQuery(
        organisation_id=admin.organisation_id,
        resident_id=resident_id,
        case_id=case_id,
        professional_id=professional_id,
        since=since,
        until=until,
        limit=limit,
        offset=offset,
    )
    with domain_problems():
        page = await queries.query_audit(wiring.uow(), admin, query)
    return AuditPage(
        records=[AuditRecordOut.of(r) for r in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get("/urgency-scale", response_model=UrgencyScale, tags=["queue"])
async def urgency_scale(wiring: Wiring, _actor: CurrentActor) -> UrgencyScale:
    """The urgency classes in use, with target response times (from contracts)."""
    return wiring.policy.scale if wiring.policy else DEFAULT_SCALE
