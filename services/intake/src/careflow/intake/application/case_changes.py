"""The shape every change of an existing case follows: lock, authorise, decide, save, publish."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TypeVar
from uuid import UUID

from careflow.intake.application.actors import ProfessionalActor, ResidentActor
from careflow.intake.application.context import Intake
from careflow.intake.application.outgoing import case_events
from careflow.intake.application.ports import UnitOfWork
from careflow.intake.application.publishing import publish
from careflow.intake.domain.access import professional_may_access, resident_may_access
from careflow.intake.domain.case import Case
from careflow.intake.domain.errors import NotFound

T = TypeVar("T")
Actor = ProfessionalActor | ResidentActor


def may_access(case: Case, actor: Actor, now: datetime) -> bool:
    if isinstance(actor, ProfessionalActor):
        return professional_may_access(case, actor.organisation)
    return actor.identified and resident_may_access(
        case, actor.resident_id, actor.children, now.date()
    )


async def save_case(uow: UnitOfWork, case: Case) -> None:
    """Saves the case with its timeline and queues its contract events (caller commits)."""
    events = case.pull_events()
    await uow.cases.save(case, events)
    publish(uow, case_events(case, events))


async def change_case(
    intake: Intake, case_id: UUID, actor: Actor, decide: Callable[[Case, datetime], T]
) -> T:
    """Runs one decision on a case the actor may access; 404 for anything else."""
    async with intake.uow() as uow:
        now = intake.clock()
        case = await uow.cases.get(case_id, lock=True)
        if case is None or not may_access(case, actor, now):
            # Someone else's case answers exactly like a missing one.
            raise NotFound("no such case")
        result = decide(case, now)
        await save_case(uow, case)
        await uow.commit()
    return result
