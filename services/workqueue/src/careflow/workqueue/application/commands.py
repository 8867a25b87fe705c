"""Professionals' commands: take, transfer, change urgency, mark incomplete.

Each runs in one `async with uow:`, locks the item's row (SELECT ... FOR UPDATE)
so two professionals acting at once serialise — the second sees the first's
result — writes the change, its events (outbox) and the audit record, and
commits once. A refused command raises a DomainError and changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from careflow.workqueue.application.auditing import queue_work
from careflow.workqueue.application.outgoing import publish_changes
from careflow.workqueue.application.ports import Actor, UnitOfWork
from careflow.workqueue.domain.audit import AuditAction
from careflow.workqueue.domain.errors import ItemNotFound
from careflow.workqueue.domain.model import QueueItem, UrgencyPolicy


async def _locked(uow: UnitOfWork, actor: Actor, case_id: UUID) -> QueueItem:
    item = await uow.items.get(case_id, for_update=True)
    if item is None:
        raise ItemNotFound("No such task.")
    item.ensure_visible_to(actor.organisation_id)  # another organisation's: 404, not 403
    return item


async def _finish(
    uow: UnitOfWork, actor: Actor, item: QueueItem, action: AuditAction, now: datetime
) -> QueueItem:
    await uow.items.update(item)
    publish_changes(uow, item)
    await uow.audit.record(queue_work(actor, [item], action, now))
    await uow.commit()
    return item


async def take_item(uow: UnitOfWork, actor: Actor, case_id: UUID, *, now: datetime) -> QueueItem:
    """Assign the task to the calling professional; AlreadyTaken if someone was first."""
    async with uow:
        item = await _locked(uow, actor, case_id)
        item.take(actor.professional_id, now)
        return await _finish(uow, actor, item, AuditAction.TAKE, now)


async def transfer_item(
    uow: UnitOfWork,
    actor: Actor,
    case_id: UUID,
    *,
    to_professional_id: str | None,
    to_group_id: str | None,
    now: datetime,
) -> QueueItem:
    """Transfer the task to another professional or a group."""
    async with uow:
        item = await _locked(uow, actor, case_id)
        item.transfer(
            actor.professional_id,
            to_professional_id=to_professional_id,
            to_group_id=to_group_id,
            may_reassign=actor.is_admin,
            now=now,
        )
        return await _finish(uow, actor, item, AuditAction.TRANSFER, now)


async def change_urgency(
    uow: UnitOfWork,
    actor: Actor,
    case_id: UUID,
    *,
    to: str,
    reason_code: str,
    explanation: str,
    policy: UrgencyPolicy,
    now: datetime,
) -> QueueItem:
    """Change the urgency class of a task the caller is handling, with a reason."""
    async with uow:
        item = await _locked(uow, actor, case_id)
        item.change_urgency(
            actor.professional_id,
            to=to,
            reason_code=reason_code,
            explanation=explanation,
            policy=policy,
            now=now,
        )
        return await _finish(uow, actor, item, AuditAction.CHANGE_URGENCY, now)


async def mark_incomplete(
    uow: UnitOfWork, actor: Actor, case_id: UUID, *, now: datetime
) -> QueueItem:
    """Mark the caller's task incomplete: the resident is asked to complete it (event)."""
    async with uow:
        item = await _locked(uow, actor, case_id)
        item.mark_incomplete(actor.professional_id, now)
        return await _finish(uow, actor, item, AuditAction.MARK_INCOMPLETE, now)
