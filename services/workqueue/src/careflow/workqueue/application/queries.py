"""Reads: queue views, opening a task, the audit log. Every read of a resident's data is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from careflow.shared.audit import AuditPage, AuditQuery, page_of
from careflow.workqueue.application.auditing import queue_work
from careflow.workqueue.application.ports import Actor, UnitOfWork
from careflow.workqueue.domain.audit import AuditAction
from careflow.workqueue.domain.errors import ItemNotFound, NotAllowed
from careflow.workqueue.domain.model import QueueItem
from careflow.workqueue.domain.ordering import QueueQuery

T = TypeVar("T")


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


async def list_queue(
    uow: UnitOfWork, actor: Actor, query: QueueQuery, *, now: datetime
) -> Page[QueueItem]:
    """One page of a queue view of the caller's organisation; each listed item is audited."""
    if query.organisation_id != actor.organisation_id:
        raise NotAllowed("Professionals see only their own organisation's queue.")
    async with uow:
        items, total = await uow.items.list(query, now)
        await uow.audit.record(queue_work(actor, items, AuditAction.LIST, now))
        await uow.commit()
    return Page(items, total, query.limit, query.offset)


async def open_item(uow: UnitOfWork, actor: Actor, case_id: UUID, *, now: datetime) -> QueueItem:
    """Open one task (with its urgency history); audited."""
    async with uow:
        item = await uow.items.get(case_id)
        if item is None or not item.visible_to(actor.organisation_id):
            raise ItemNotFound("No such task.")
        await uow.audit.record(queue_work(actor, [item], AuditAction.OPEN, now))
        await uow.commit()
    return item


async def query_audit(
    uow: UnitOfWork,
    organisation_id: str,
    query: AuditQuery,
    *,
    resident_id: UUID | None = None,
    case_id: UUID | None = None,
    professional_id: str | None = None,
) -> AuditPage:
    """One page of an organisation's audit log, newest first, for its admin or auditor
    (the route requires the shared auditor roles; the organisation is the caller's).

    Not itself audited: the records show pseudonymous ids, never a resident's name
    or case content (careflow.shared.audit).
    """
    async with uow:
        records = await uow.audit.page(
            organisation_id,
            query,
            resident_id=resident_id,
            case_id=case_id,
            professional_id=professional_id,
        )
    return page_of(records, query)
