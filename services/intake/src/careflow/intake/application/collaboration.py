"""Working a case together: summary, goals, tasks and coachings.

Each use case is one `change_case` (lock, access check, domain rule, save with
events, one commit); the party a goal is set or edited by comes from the actor,
never from the request.
"""

from __future__ import annotations

from datetime import date
from typing import Literal
from uuid import UUID

from careflow.intake.application.actors import ProfessionalActor, ResidentActor
from careflow.intake.application.case_changes import Actor, change_case
from careflow.intake.application.context import Intake


async def write_summary(intake: Intake, pro: ProfessionalActor, case_id: UUID, text: str) -> None:
    """The professional's summary of the case."""
    await change_case(
        intake, case_id, pro, lambda case, now: case.write_summary(pro.subject, text, now)
    )


async def add_goal(
    intake: Intake,
    pro: ProfessionalActor,
    case_id: UUID,
    text: str,
    *,
    set_by: Literal["professional", "together"] = "professional",
) -> UUID:
    """A goal the professional sets, alone or together with the resident."""
    return await change_case(
        intake, case_id, pro, lambda case, now: case.set_goal(text, set_by, now, pro.subject)
    )


async def add_own_goal(intake: Intake, resident: ResidentActor, case_id: UUID, text: str) -> UUID:
    """A goal the resident sets for themselves."""
    return await change_case(
        intake, case_id, resident, lambda case, now: case.set_goal(text, "resident", now)
    )


async def edit_goal(intake: Intake, actor: Actor, case_id: UUID, goal_id: UUID, text: str) -> None:
    """Either party edits a goal's text (goals are never deleted)."""
    if isinstance(actor, ProfessionalActor):
        await change_case(
            intake,
            case_id,
            actor,
            lambda case, now: case.edit_goal(goal_id, text, "professional", now, actor.subject),
        )
        return
    await change_case(
        intake, case_id, actor, lambda case, now: case.edit_goal(goal_id, text, "resident", now)
    )


async def add_task(
    intake: Intake,
    pro: ProfessionalActor,
    case_id: UUID,
    *,
    kind: Literal["action_instruction", "questionnaire"],
    instruction: str,
    start_date: date | None = None,
    latest_date: date | None = None,
) -> UUID:
    """A task for the resident (an action instruction or a questionnaire)."""
    return await change_case(
        intake,
        case_id,
        pro,
        lambda case, now: case.assign_task(
            kind=kind,
            instruction=instruction,
            professional_id=pro.subject,
            now=now,
            today=now.date(),
            start_date=start_date,
            latest_date=latest_date,
        ),
    )


async def fill_questionnaire(
    intake: Intake, resident: ResidentActor, case_id: UUID, task_id: UUID
) -> None:
    """The resident marks a questionnaire task filled."""
    await change_case(
        intake, case_id, resident, lambda case, now: case.fill_questionnaire(task_id, now)
    )


async def attach_coaching(intake: Intake, pro: ProfessionalActor, case_id: UUID) -> UUID:
    """Ties a health coaching to the case."""
    return await change_case(
        intake, case_id, pro, lambda case, now: case.attach_coaching(pro.subject, now)
    )


async def end_coaching(
    intake: Intake, pro: ProfessionalActor, case_id: UUID, coaching_id: UUID, *, completed: bool
) -> None:
    """Ends a coaching of the case, completed or not."""
    await change_case(
        intake, case_id, pro, lambda case, now: case.end_coaching(coaching_id, now, completed)
    )
