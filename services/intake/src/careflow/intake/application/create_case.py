"""create_case: a professional creates a case for a resident of their organisation.

The same rule opens the case messaging asks for when a chat naming no case moves to
non-urgent (domain.md "Messaging and chat": it becomes an asynchronous conversation on a
case, in the work queue): the transferring professional creates it, in the chat's
organisation, kind `chat_conversation`, with the id messaging derived from the chat, so a
redelivered or repeated request opens no second case.
"""

from __future__ import annotations

import logging
from uuid import UUID

from careflow.contracts.chats import ChatCaseRequested
from careflow.intake.application.actors import ProfessionalActor
from careflow.intake.application.case_changes import save_case
from careflow.intake.application.context import Intake
from careflow.intake.application.on_queue_events import release_parked
from careflow.intake.application.ports import ParkingMetrics, UnitOfWork
from careflow.intake.domain.case import Case

log = logging.getLogger(__name__)

CHAT_CASE_KIND = "chat_conversation"


async def create_case(
    intake: Intake,
    actor: ProfessionalActor,
    *,
    resident_id: UUID,
    kind: str,
    language: str,
    group_id: str | None,
) -> UUID:
    """Creates the case in the professional's organisation and unit; CaseCreatedByProfessional."""
    case = Case.create_for_resident(
        resident_id=resident_id,
        kind=kind,
        language=language,
        professional_id=actor.subject,
        organisation_id=actor.organisation,
        unit_id=actor.unit,
        group_id=group_id,
        now=intake.clock(),
    )
    async with intake.uow() as uow:
        await _add(uow, case, intake.parking_metrics)
        await uow.commit()
    return case.id


async def create_case_for_chat(
    event: ChatCaseRequested, uow: UnitOfWork, metrics: ParkingMetrics
) -> UUID:
    """Opens the case a non-urgent chat goes on in, once (the caller commits)."""
    if await uow.cases.get(event.case_id) is not None:
        log.info("case for the chat already open")
        return event.case_id
    case = Case.create_for_resident(
        resident_id=event.resident_id,
        kind=CHAT_CASE_KIND,
        language=event.language,
        professional_id=event.requested_by,
        organisation_id=event.organisation_id,
        unit_id=event.unit_id,
        group_id=None,
        now=event.requested_at,
        case_id=event.case_id,
    )
    await _add(uow, case, metrics)
    return case.id


async def _add(uow: UnitOfWork, case: Case, metrics: ParkingMetrics) -> None:
    # Queue events may have raced ahead of the case: apply them with it.
    await release_parked(uow, case, metrics)
    await save_case(uow, case)
