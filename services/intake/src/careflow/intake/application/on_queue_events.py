"""Reactions to work-queue events: who has taken a case."""

from __future__ import annotations

from careflow.contracts.workqueue import QueueItemTaken, QueueItemTransferred
from careflow.intake.adapters.unit_of_work import IntakeUnitOfWork
from careflow.intake.application.case_changes import save_case
from careflow.shared.messaging.errors import RetryLater


async def on_queue_item_taken(event: QueueItemTaken, uow: IntakeUnitOfWork) -> None:
    """Marks the case taken; a case not (yet) here is retried, never dropped."""
    case = await uow.cases.get(event.case_id, lock=True)
    if case is None:
        raise RetryLater("case not known yet")
    case.mark_taken(event.professional_id, event.taken_at)
    await save_case(uow, case)


async def on_queue_item_transferred(event: QueueItemTransferred, uow: IntakeUnitOfWork) -> None:
    """A transfer to a professional makes them responsible; a group transfer changes nothing."""
    if event.to_professional_id is None:
        return
    case = await uow.cases.get(event.case_id, lock=True)
    if case is None:
        raise RetryLater("case not known yet")
    case.mark_taken(event.to_professional_id, event.transferred_at)
    await save_case(uow, case)
