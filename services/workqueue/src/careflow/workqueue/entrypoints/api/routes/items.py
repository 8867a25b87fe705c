"""One task: open it, take it, transfer it, change its urgency, mark it incomplete."""

from __future__ import annotations

from uuid import UUID

from fastapi import APIRouter

from careflow.workqueue.application import commands, queries
from careflow.workqueue.entrypoints.api.deps import CurrentActor, Wiring
from careflow.workqueue.entrypoints.api.schemas import (
    ItemDetailOut,
    TransferBody,
    UrgencyChangeBody,
)

router = APIRouter(prefix="/queue/items", tags=["tasks"])

_ERRORS: dict[int | str, dict[str, str]] = {
    404: {"description": "No such task in the caller's organisation."},
    409: {"description": "Taken by someone else first, or the case is closed."},
}


@router.get("/{case_id}", response_model=ItemDetailOut, responses=_ERRORS)
async def open_task(case_id: UUID, wiring: Wiring, actor: CurrentActor) -> ItemDetailOut:
    """Open a task: its details and urgency history (the read is audited)."""
    item = await queries.open_item(wiring.uow(), actor, case_id, now=wiring.clock())
    return ItemDetailOut.of(item, wiring.clock())


@router.post("/{case_id}/take", response_model=ItemDetailOut, responses=_ERRORS)
async def take_task(case_id: UUID, wiring: Wiring, actor: CurrentActor) -> ItemDetailOut:
    """Assign the task to me; 409 if another professional took it first."""
    item = await commands.take_item(wiring.uow(), actor, case_id, now=wiring.clock())
    return ItemDetailOut.of(item, wiring.clock())


@router.post("/{case_id}/transfer", response_model=ItemDetailOut, responses=_ERRORS)
async def transfer_task(
    case_id: UUID, body: TransferBody, wiring: Wiring, actor: CurrentActor
) -> ItemDetailOut:
    """Transfer to another professional or to a group (the handler, or an admin)."""
    item = await commands.transfer_item(
        wiring.uow(),
        actor,
        case_id,
        to_professional_id=body.to_professional_id,
        to_group_id=body.to_group_id,
        now=wiring.clock(),
    )
    return ItemDetailOut.of(item, wiring.clock())


@router.post("/{case_id}/urgency", response_model=ItemDetailOut, responses=_ERRORS)
async def change_task_urgency(
    case_id: UUID, body: UrgencyChangeBody, wiring: Wiring, actor: CurrentActor
) -> ItemDetailOut:
    """Change the urgency class of a task I am handling, with a reason (history kept)."""
    item = await commands.change_urgency(
        wiring.uow(),
        actor,
        case_id,
        to=body.urgency,
        reason_code=body.reason_code,
        explanation=body.explanation,
        policy=wiring.policies.for_organisation(actor.organisation_id),
        now=wiring.clock(),
    )
    return ItemDetailOut.of(item, wiring.clock())


@router.post("/{case_id}/incomplete", response_model=ItemDetailOut, responses=_ERRORS)
async def mark_task_incomplete(case_id: UUID, wiring: Wiring, actor: CurrentActor) -> ItemDetailOut:
    """Mark my task incomplete: the resident is asked to complete the submission."""
    item = await commands.mark_incomplete(wiring.uow(), actor, case_id, now=wiring.clock())
    return ItemDetailOut.of(item, wiring.clock())
