"""Resident routes: submit forms, read own (and children's) cases, answer closing, contact."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter, Query

from careflow.intake.application import closing, collaboration
from careflow.intake.application import read_case as reads
from careflow.intake.application import residents as contact
from careflow.intake.application.submit_form import submit_form
from careflow.intake.domain.forms import FormSubmission
from careflow.intake.entrypoints.api.deps import (
    FormSubmitterDep,
    IdentifiedResident,
    IntakeDep,
)
from careflow.intake.entrypoints.api.schemas import (
    MAX_PAGE,
    CasePage,
    CasesPage,
    ContactIn,
    ContactOut,
    Created,
    FormIn,
    ObjectionIn,
    ResidentGoalIn,
    SubmittedOut,
)

router = APIRouter(tags=["residents"])


@router.post("/forms", status_code=201, response_model=SubmittedOut)
async def submit(body: FormIn, submitter: FormSubmitterDep) -> SubmittedOut:
    """Submit a form: identified, as guardian for a child under 15, or anonymously where allowed."""
    ids = submitter.ids
    child = ids.of(body.child_subject) if body.child_subject else None
    form = FormSubmission(
        kind=body.kind,
        language=body.language,
        organisation_id=body.organisation_id,
        form_id=body.form_id,
        unit_id=body.unit_id,
        group_id=body.group_id,
        urgency=body.urgency,
        phone=body.phone,
        refuse_phone_contact=body.refuse_phone_contact,
        for_myself=body.for_myself,
        child_id=child,
        answers=body.answers,
    )
    result = await submit_form(submitter.intake, submitter.sender, form, body.answers or None)
    return SubmittedOut(
        case_id=result.case_id if result.identification == "identified" else None,
        private=result.private,
        call_emergency_number=result.call_emergency_number,
        urgency=result.urgency,  # type: ignore[arg-type]
        urgency_rules=result.urgency_rules,
    )


@router.get("/me/cases", response_model=CasesPage)
async def my_cases(
    intake: IntakeDep,
    me: IdentifiedResident,
    limit: int = Query(default=20, ge=1, le=MAX_PAGE),
    # Bounded: an offset past bigint is a 500 in PostgreSQL, and none is that long.
    offset: int = Query(default=0, ge=0, le=1_000_000),
) -> CasesPage:
    """My identified cases and my children's (under 15), newest first, one page at a time."""
    items, total = await reads.list_my_cases(intake, me, limit=limit, offset=offset)
    return CasesPage.model_validate(
        {"items": items, "total": total, "limit": limit, "offset": offset}
    )


@router.get("/me/cases/{case_id}", response_model=CasePage)
async def my_case(case_id: UUID, intake: IntakeDep, me: IdentifiedResident) -> CasePage:
    """One of my (or my child's) cases with every section."""
    return CasePage.model_validate(await reads.read_case(intake, me, case_id))


@router.post("/me/cases/{case_id}/closure", status_code=204)
async def close_before_taken(case_id: UUID, intake: IntakeDep, me: IdentifiedResident) -> None:
    """Close my case before a professional has taken it; it leaves every queue."""
    await closing.close_before_taken(intake, me, case_id)


@router.post("/me/cases/{case_id}/closing-proposals", status_code=201, response_model=Created)
async def propose(case_id: UUID, intake: IntakeDep, me: IdentifiedResident) -> Created:
    """Propose closing my case; a professional accepts or rejects it."""
    proposal = await closing.propose_closing(intake, me, case_id)
    return Created(id=proposal)


@router.post("/me/cases/{case_id}/closing-proposals/{proposal_id}/objection", status_code=204)
async def object_to(
    case_id: UUID, proposal_id: UUID, body: ObjectionIn, intake: IntakeDep, me: IdentifiedResident
) -> None:
    """Object to a professional's proposal within 72 hours; the case stays open."""
    await closing.object_to_proposal(intake, me, case_id, proposal_id, message_id=body.message_id)


@router.post("/me/cases/{case_id}/closing-proposals/{proposal_id}/acceptance", status_code=204)
async def accept(
    case_id: UUID, proposal_id: UUID, intake: IntakeDep, me: IdentifiedResident
) -> None:
    """Agree to a professional's closing proposal; the case closes now."""
    await closing.accept_proposal(intake, me, case_id, proposal_id)


@router.post("/me/cases/{case_id}/goals", status_code=201, response_model=Created)
async def set_goal(
    case_id: UUID, body: ResidentGoalIn, intake: IntakeDep, me: IdentifiedResident
) -> Created:
    """Set a goal of my own in the case."""
    goal = await collaboration.add_own_goal(intake, me, case_id, body.text)
    return Created(id=goal)


@router.put("/me/cases/{case_id}/goals/{goal_id}", status_code=204)
async def edit_goal(
    case_id: UUID, goal_id: UUID, body: ResidentGoalIn, intake: IntakeDep, me: IdentifiedResident
) -> None:
    """Edit a goal's text (goals are never deleted)."""
    await collaboration.edit_goal(intake, me, case_id, goal_id, body.text)


@router.post("/me/cases/{case_id}/tasks/{task_id}/answers", status_code=204)
async def fill_questionnaire(
    case_id: UUID, task_id: UUID, intake: IntakeDep, me: IdentifiedResident
) -> None:
    """Mark a questionnaire task as filled."""
    await collaboration.fill_questionnaire(intake, me, case_id, task_id)


@router.get("/me/contact", response_model=ContactOut)
async def read_contact(intake: IntakeDep, me: IdentifiedResident) -> ContactOut:
    """My customer information: contact details, notification consents, phone permission."""
    return ContactOut.model_validate(await contact.read_contact(intake, me))


@router.put("/me/contact", response_model=ContactOut)
async def update_contact(body: ContactIn, intake: IntakeDep, me: IdentifiedResident) -> ContactOut:
    """Change my contact details, notification consents and phone permission."""
    return ContactOut.model_validate(await contact.update_contact(intake, me, **body.model_dump()))


@router.post("/me/consents/withdrawal", response_model=ContactOut)
async def withdraw(intake: IntakeDep, me: IdentifiedResident) -> ContactOut:
    """Withdraw the consents the service needs; phone permission ends with them."""
    return ContactOut.model_validate(await contact.withdraw_service_consents(intake, me))


@router.post("/me/consents/grant", response_model=ContactOut)
async def give_again(intake: IntakeDep, me: IdentifiedResident) -> ContactOut:
    """Give the service consents again after withdrawing them; phone permission stays off."""
    return ContactOut.model_validate(await contact.give_service_consents(intake, me))
