"""The staff view: cases of the caller's clinic or board, groups, distribution, replies,
re-targeting; every read is audited. And the access log for auditors."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Query

from careflow.complaints.application import staff as use
from careflow.complaints.application.audit import query_audit
from careflow.complaints.entrypoints.api.deps import StaffMember, Wiring
from careflow.complaints.entrypoints.api.schemas import (
    CaseDetailOut,
    CaseOut,
    CasesOut,
    DistributionIn,
    GroupIn,
    GroupOut,
    GroupsOut,
    ReplyIn,
    TargetIn,
)
from careflow.shared.audit import AuditPage
from careflow.shared.audit.dependencies import Auditor, AuditQueryParams

router = APIRouter(prefix="/staff", tags=["staff"])
audit_router = APIRouter(tags=["audit"])


@router.get("/cases", response_model=CasesOut)
async def list_cases(
    staff: StaffMember,
    wiring: Wiring,
    overdue: bool = False,
    status: Literal["received", "distributed", "answered"] | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CasesOut:
    """Receivers: every case of their clinic or board handled here; handlers: the cases
    given to them or their groups. `overdue=true`: unanswered past the due date.
    Soonest due first."""
    cases = await use.list_cases(wiring.context, staff, overdue=overdue, status=status, limit=limit)
    now = wiring.clock()
    return CasesOut(items=[CaseOut.of(c, now) for c in cases])


@router.get("/cases/{case_id}", response_model=CaseDetailOut)
async def read_case(case_id: UUID, staff: StaffMember, wiring: Wiring) -> CaseDetailOut:
    """One case with what the resident wrote and its replies (404 unless the caller may
    see it)."""
    case, replies = await use.read_case(wiring.context, staff, case_id)
    return CaseDetailOut.detail(case, replies, wiring.clock())


@router.post("/groups", response_model=GroupOut, status_code=201)
async def create_group(body: GroupIn, staff: StaffMember, wiring: Wiring) -> GroupOut:
    """A group of handlers at the caller's place (receivers and local admins)."""
    group = await use.create_group(wiring.context, staff, body.name, body.members)
    return GroupOut(group_id=group.group_id, name=group.name, members=group.members)


@router.get("/groups", response_model=GroupsOut)
async def list_groups(staff: StaffMember, wiring: Wiring) -> GroupsOut:
    """The groups of the caller's place."""
    groups = await use.place_groups(wiring.context, staff)
    return GroupsOut(
        items=[GroupOut(group_id=g.group_id, name=g.name, members=g.members) for g in groups]
    )


@router.post("/cases/{case_id}/distribution", response_model=CaseOut)
async def distribute(
    case_id: UUID, body: DistributionIn, staff: StaffMember, wiring: Wiring
) -> CaseOut:
    """A receiver gives the case to a group of the place or to one handler; again to
    redistribute it."""
    case = await use.distribute(
        wiring.context, staff, case_id, group_id=body.group_id, handler_id=body.handler_id
    )
    return CaseOut.of(case, wiring.clock())


@router.post("/cases/{case_id}/replies", response_model=CaseOut, status_code=201)
async def reply(case_id: UUID, body: ReplyIn, staff: StaffMember, wiring: Wiring) -> CaseOut:
    """A partial reply (receivers, handlers) or the answer (`final`: the handler given
    the case), which notifies the resident."""
    case = await use.reply(wiring.context, staff, case_id, body.text, final=body.final)
    return CaseOut.of(case, wiring.clock())


@router.post("/cases/{case_id}/target", response_model=CaseOut)
async def retarget(case_id: UUID, body: TargetIn, staff: StaffMember, wiring: Wiring) -> CaseOut:
    """The patient board names the right clinic of a case sent to it: the case moves to
    that clinic's receivers (or its own system)."""
    case = await use.retarget(wiring.context, staff, case_id, body.clinic_hsa_id)
    return CaseOut.of(case, wiring.clock())


@audit_router.get("/audit-records", response_model=AuditPage)
async def audit_records(
    auditor: Auditor, wiring: Wiring, query: AuditQueryParams, case_id: UUID | None = None
) -> AuditPage:
    """Who read which complaint case, when and why, newest first, in pages of a time range
    (role `admin` or `auditor`; own region). Not itself audited. Anonymous cases show
    the nil UUID as resident."""
    return await query_audit(wiring.context, auditor.organisation, query, case_id=case_id)
