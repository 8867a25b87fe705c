"""The audit log of professionals' reads, for admins of the organisation."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query
from pydantic import AwareDatetime

from careflow.contracts.common import ExternalId
from careflow.contracts.urgency import UrgencyScale
from careflow.workqueue.application import queries
from careflow.workqueue.domain.audit import MAX_AUDIT_PAGE, AuditQuery
from careflow.workqueue.entrypoints.api.deps import Auditor, CurrentActor, Wiring
from careflow.workqueue.entrypoints.api.schemas import (
    AuditPage,
    AuditRecordOut,
    decode_cursor,
    encode_cursor,
)

router = APIRouter(tags=["audit"])


@router.get("/audit-records", response_model=AuditPage)
async def audit_records(
    wiring: Wiring,
    auditor: Auditor,
    resident_id: UUID | None = None,
    case_id: UUID | None = None,
    professional_id: Annotated[ExternalId | None, Query()] = None,
    from_: Annotated[AwareDatetime | None, Query(alias="from")] = None,
    to: AwareDatetime | None = None,
    limit: Annotated[int, Query(ge=1, le=MAX_AUDIT_PAGE)] = 50,
    cursor: Annotated[str | None, Query(max_length=100)] = None,
) -> AuditPage:
    """Who read which resident's data in which case in [from, to), newest first
    (role `admin` or `auditor`); the next page is `cursor=<next_cursor>`."""
    query = AuditQuery(
        organisation_id=auditor.organisation_id,
        resident_id=resident_id,
        case_id=case_id,
        professional_id=professional_id,
        since=from_,
        until=to,
        after=decode_cursor(cursor) if cursor else None,
        limit=limit,
    )
    page = await queries.query_audit(wiring.uow(), auditor, query)
    return AuditPage(
        records=[AuditRecordOut.of(r) for r in page.records],
        total=page.total,
        limit=page.limit,
        next_cursor=encode_cursor(page.next) if page.next else None,
    )


@router.get("/urgency-scale", response_model=UrgencyScale, tags=["queue"])
async def urgency_scale(wiring: Wiring, actor: CurrentActor) -> UrgencyScale:
    """The urgency classes the caller's organisation uses, with target response times."""
    return wiring.policies.for_organisation(actor.organisation_id).scale
