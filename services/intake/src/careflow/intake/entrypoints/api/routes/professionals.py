"""Professional routes: create and read cases of the own organisation, work their sections."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query

from careflow.intake.application import closing, collaboration
from careflow.intake.application import read_case as reads
from careflow.intake.application.create_case import create_case
from careflow.intake.entrypoints.api.deps import Auditor, IntakeDep, ProfessionalUser, Pseudonyms
from careflow.intake.entrypoints.api.schemas import (
    CaseIn,
    ClosureIn,
    CoachingEndIn,
    Created,
    GoalIn,
    ProfessionalCasePage,
    SummaryIn,
    TaskIn,
)
from careflow.shared.audit import AuditPage
from careflow.shared.audit.dependencies import AuditQueryParams

router = APIRouter(tags=["professionals"])


@router.post("/cases", status_code=201, response_model=Created)
async def create(
    body: CaseIn, intake: IntakeDep, ids: Pseudonyms, pro: ProfessionalUser
) -> Created:
    """Create a case for a resident (examination, well-being check, invitation, appointment)."""
    case_id = await create_case(
        intake,
        pro,
        resident_id=ids.of(body.resident_subject),
        kind=body.kind,
        language=body.language,
        group_id=body.group_id,
    )
    return Created(id=case_id)


@router.get("/cases/{case_id}", response_model=ProfessionalCasePage)
async def read(case_id: UUID, intake: IntakeDep, pro: ProfessionalUser) -> ProfessionalCasePage:
    """The case page with every section and the resident's other open cases; audited."""
    return ProfessionalCasePage.model_validate(await reads.read_case(intake, pro, case_id))


@router.put("/cases/{case_id}/summary", status_code=204)
async def summary(case_id: UUID, body: SummaryIn, intake: IntakeDep, pro: ProfessionalUser) -> None:
    """Write the professional's summary of the case."""
    await collaboration.write_summary(intake, pro, case_id, body.text)


@router.post("/cases/{case_id}/goals", status_code=201, response_model=Created)
async def set_goal(
    case_id: UUID, body: GoalIn, intake: IntakeDep, pro: ProfessionalUser
) -> Created:
    """Set a goal (alone or together with the resident); the resident is notified."""
    goal = await collaboration.add_goal(intake, pro, case_id, body.text, set_by=body.set_by)
    return Created(id=goal)


@router.put("/cases/{case_id}/goals/{goal_id}", status_code=204)
async def edit_goal(
    case_id: UUID, goal_id: UUID, body: SummaryIn, intake: IntakeDep, pro: ProfessionalUser
) -> None:
    """Edit a goal's text (goals are never deleted)."""
    await collaboration.edit_goal(intake, pro, case_id, goal_id, body.text)


@router.post("/cases/{case_id}/tasks", status_code=201, response_model=Created)
async def assign_task(
    case_id: UUID, body: TaskIn, intake: IntakeDep, pro: ProfessionalUser
) -> Created:
    """Give the resident a task (an action instruction or a questionnaire)."""
    task = await collaboration.add_task(
        intake,
        pro,
        case_id,
        kind=body.kind,
        instruction=body.instruction,
        start_date=body.start_date,
        latest_date=body.latest_date,
    )
    return Created(id=task)


@router.post("/cases/{case_id}/coachings", status_code=201, response_model=Created)
async def attach_coaching(case_id: UUID, intake: IntakeDep, pro: ProfessionalUser) -> Created:
    """Tie a health coaching to the case."""
    coaching = await collaboration.attach_coaching(intake, pro, case_id)
    return Created(id=coaching)


@router.post("/cases/{case_id}/coachings/{coaching_id}/end", status_code=204)
async def end_coaching(
    case_id: UUID, coaching_id: UUID, body: CoachingEndIn, intake: IntakeDep, pro: ProfessionalUser
) -> None:
    """End a coaching of the case."""
    await collaboration.end_coaching(intake, pro, case_id, coaching_id, completed=body.completed)


@router.post("/cases/{case_id}/closing-proposals", status_code=201, response_model=Created)
async def propose(case_id: UUID, intake: IntakeDep, pro: ProfessionalUser) -> Created:
    """Propose closing; the case closes by itself unless the resident objects within 72 hours."""
    proposal = await closing.propose_closing(intake, pro, case_id)
    return Created(id=proposal)


@router.post("/cases/{case_id}/closing-proposals/{proposal_id}/rejection", status_code=204)
async def reject(
    case_id: UUID, proposal_id: UUID, intake: IntakeDep, pro: ProfessionalUser
) -> None:
    """Reject the resident's closing proposal; the resident is notified."""
    await closing.reject_resident_proposal(intake, pro, case_id, proposal_id)


@router.post("/cases/{case_id}/closing-proposals/{proposal_id}/acceptance", status_code=204)
async def accept(
    case_id: UUID, proposal_id: UUID, intake: IntakeDep, pro: ProfessionalUser
) -> None:
    """Accept the resident's closing proposal; the case closes now."""
    await closing.accept_resident_proposal(intake, pro, case_id, proposal_id)


@router.post("/cases/{case_id}/closure", status_code=204)
async def close(case_id: UUID, body: ClosureIn, intake: IntakeDep, pro: ProfessionalUser) -> None:
    """Close without the resident's consent, stating why; the resident can no longer answer."""
    await closing.close_without_consent(intake, pro, case_id, reason=body.reason)


@router.get("/audit-records", response_model=AuditPage, tags=["audit"])
async def audit_records(
    intake: IntakeDep,
    auditor: Auditor,
    query: AuditQueryParams,
    resident_id: UUID | None = None,
    case_id: UUID | None = None,
    professional_id: str | None = Query(default=None, max_length=128),
) -> AuditPage:
    """Who read which resident's data, when and why, newest first, in pages of a time
    range (role `admin` or `auditor`; own organisation only). Not itself audited."""
    return await reads.query_audit(
        intake,
        auditor,
        query,
        resident_id=resident_id,
        case_id=case_id,
        professional_id=professional_id,
    )
