"""Closing a case: proposals either party makes, the other's answer, closing outright.

Each use case is one `change_case`: the case is locked, the actor's access
checked (someone else's case is a 404), the domain rule decides, and the case
is saved with its events in one commit.
"""

from __future__ import annotations

from uuid import UUID

from careflow.intake.application.actors import ProfessionalActor, ResidentActor
from careflow.intake.application.case_changes import Actor, change_case
from careflow.intake.application.context import Intake


async def close_before_taken(intake: Intake, resident: ResidentActor, case_id: UUID) -> None:
    """The resident withdraws a case nobody has taken yet; it leaves every queue."""
    await change_case(intake, case_id, resident, lambda case, now: case.close_before_taken(now))


async def propose_closing(intake: Intake, actor: Actor, case_id: UUID) -> UUID:
    """Either party proposes closing; a professional's proposal closes by itself after 72 h."""
    if isinstance(actor, ProfessionalActor):
        return await change_case(
            intake,
            case_id,
            actor,
            lambda case, now: case.propose_closing("professional", now, actor.subject),
        )
    return await change_case(
        intake, case_id, actor, lambda case, now: case.propose_closing("resident", now)
    )


async def object_to_proposal(
    intake: Intake,
    resident: ResidentActor,
    case_id: UUID,
    proposal_id: UUID,
    *,
    message_id: UUID | None,
) -> None:
    """The resident objects to a professional's proposal within 72 hours; the case stays open."""
    await change_case(
        intake,
        case_id,
        resident,
        lambda case, now: case.object_to_closing(proposal_id, now, message_id),
    )


async def accept_proposal(
    intake: Intake, resident: ResidentActor, case_id: UUID, proposal_id: UUID
) -> None:
    """The resident agrees to a professional's proposal; the case closes now."""
    await change_case(
        intake, case_id, resident, lambda case, now: case.accept_closing(proposal_id, now)
    )


async def reject_resident_proposal(
    intake: Intake, pro: ProfessionalActor, case_id: UUID, proposal_id: UUID
) -> None:
    """A professional rejects the resident's proposal; the resident is notified."""
    await change_case(
        intake,
        case_id,
        pro,
        lambda case, now: case.reject_closing(proposal_id, pro.subject, now),
    )


async def accept_resident_proposal(
    intake: Intake, pro: ProfessionalActor, case_id: UUID, proposal_id: UUID
) -> None:
    """A professional accepts the resident's proposal; the case closes now."""
    await change_case(
        intake,
        case_id,
        pro,
        lambda case, now: case.accept_resident_proposal(proposal_id, pro.subject, now),
    )


async def close_without_consent(
    intake: Intake, pro: ProfessionalActor, case_id: UUID, *, reason: str
) -> None:
    """A professional closes, stating why; the resident can no longer answer."""
    await change_case(
        intake,
        case_id,
        pro,
        lambda case, now: case.close_without_consent(pro.subject, reason, now),
    )
