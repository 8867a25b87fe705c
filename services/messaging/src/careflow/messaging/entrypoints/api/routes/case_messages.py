"""Case messages: the resident's side (/me/cases/...) and the professionals' (/cases/...)."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from careflow.messaging.domain.errors import SendLimitReached
from careflow.messaging.entrypoints.api.deps import CurrentProfessional, CurrentResident, Wiring
from careflow.messaging.entrypoints.api.schemas import (
    CaseMessageIn,
    CaseMessageOut,
    CaseMessagePageOut,
    ReadStateOut,
    ResidentCaseMessageIn,
)
from careflow.shared.http.problems import Problem

router = APIRouter(tags=["case messages"])

Limit = Annotated[int, Query(ge=1, le=200, description="Messages per page.")]
Before = Annotated[
    int | None,
    Query(ge=1, le=2**63 - 1, description="`next_before` of the previous page: older messages."),
]


def _too_many(error: SendLimitReached) -> Problem:
    # The domain table documents 429; the wait goes into Retry-After (RFC 9110 §10.2.3).
    return Problem(429, detail=str(error), headers={"Retry-After": str(error.retry_after)})


@router.get("/me/cases/{case_id}/messages", response_model=CaseMessagePageOut)
async def my_case_messages(
    case_id: UUID,
    resident: CurrentResident,
    wiring: Wiring,
    limit: Limit = 50,
    before: Before = None,
) -> CaseMessagePageOut:
    """A page of the messages on the resident's case (or their child's), newest first."""
    page = await wiring.case_messages.read_as_resident(
        resident, case_id, before=before, limit=limit
    )
    return CaseMessagePageOut.of(page)


@router.post(
    "/me/cases/{case_id}/messages",
    response_model=CaseMessageOut,
    status_code=status.HTTP_201_CREATED,
)
async def write_my_case_message(
    case_id: UUID, body: ResidentCaseMessageIn, resident: CurrentResident, wiring: Wiring
) -> CaseMessageOut:
    """The resident writes on their case; the professionals' queue item shows it unread.
    Not on an anonymous submission or a case closed without consent (409); too many
    messages in a short time: 429 with Retry-After."""
    try:
        message = await wiring.case_messages.write_as_resident(
            resident, case_id, body.text, objects_to_closing=body.objects_to_closing
        )
    except SendLimitReached as error:
        raise _too_many(error) from None
    return CaseMessageOut.of(message)


@router.post("/me/cases/{case_id}/messages/read", response_model=ReadStateOut)
async def mark_my_case_messages_read(
    case_id: UUID, resident: CurrentResident, wiring: Wiring
) -> ReadStateOut:
    """The resident has read every message of the case so far."""
    return ReadStateOut.of(await wiring.case_messages.mark_read_as_resident(resident, case_id))


@router.get("/cases/{case_id}/messages", response_model=CaseMessagePageOut)
async def case_messages(
    case_id: UUID,
    professional: CurrentProfessional,
    wiring: Wiring,
    limit: Limit = 50,
    before: Before = None,
) -> CaseMessagePageOut:
    """A page of a case's messages for a professional of its organisation, newest first;
    every read is audited. Another organisation's case: 404."""
    page = await wiring.case_messages.read_as_professional(
        professional, case_id, before=before, limit=limit
    )
    return CaseMessagePageOut.of(page)


@router.post(
    "/cases/{case_id}/messages",
    response_model=CaseMessageOut,
    status_code=status.HTTP_201_CREATED,
)
async def write_case_message(
    case_id: UUID, body: CaseMessageIn, professional: CurrentProfessional, wiring: Wiring
) -> CaseMessageOut:
    """A professional writes on a case of their organisation; the resident is notified
    (email and SMS as their consents allow, never with the text)."""
    try:
        message = await wiring.case_messages.write_as_professional(professional, case_id, body.text)
    except SendLimitReached as error:
        raise _too_many(error) from None
    return CaseMessageOut.of(message)


@router.post("/cases/{case_id}/messages/read", response_model=ReadStateOut)
async def mark_case_messages_read(
    case_id: UUID, professional: CurrentProfessional, wiring: Wiring
) -> ReadStateOut:
    """The professionals have read every message of the case so far: the queue item shows
    no unread resident message. Audited."""
    state = await wiring.case_messages.mark_read_as_professional(professional, case_id)
    return ReadStateOut.of(state)
