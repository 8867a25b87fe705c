"""Reads: queue views, opening a task, the audit log. Every read of a resident's data is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

from careflow.workqueue.application.ports import Actor, UnitOfWork
from careflow.workqueue.domain.audit import (
    AuditAction,
    AuditPosition,
    AuditQuery,
    AuditRecord,
    next_position,
)
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


def _audit(
    actor: Actor, items: list[QueueItem], action: AuditAction, now: datetime
) -> list[AuditRecord]:
    return [
        AuditRecord(
            actor.organisation_id, actor.professional_id, i.resident_id, i.case_id, action, now
        )
        for i in items
    ]


async def list_queue(
    uow: UnitOfWork, actor: Actor, query: QueueQuery, *, now: datetime
) -> Page[QueueItem]:
    """One page of a queue view of the caller's organisation; each listed item is audited."""
    if query.organisation_id != actor.organisation_id:
        raise NotAllowed("Professionals see only their own organisation's queue.")
    async with uow:
        items, total = await uow.items.list(query, now)
        await uow.audit.record(_audit(actor, items, AuditAction.LIST, now))
        await uow.commit()
    return Page(items, total, query.limit, query.offset)


async def open_item(uow: UnitOfWork, actor: Actor, case_id: UUID, *, now: datetime) -> QueueItem:
    """Open one task (with its urgency history); audited."""
    async with uow:
        item = await uow.items.get(case_id)
        if item is None or not item.visible_to(actor.organisation_id):
            raise ItemNotFound("No such task.")
        await uow.audit.record(_audit(actor, [item], AuditAction.OPEN, now))
        await uow.commit()
    return item


@dataclass(frozen=True)
class AuditPage:
    records: list[AuditRecord]
    total: int
    limit: int
    next: AuditPosition | None


async def query_audit(uow: UnitOfWork, actor: Actor, query: AuditQuery) -> AuditPage:
    """One page of the caller's organisation's audit log (roles `admin` or `auditor`)."""
    if not actor.may_read_audit or query.organisation_id != actor.organisation_id:
        raise NotAllowed("Only an admin or auditor of the organisation may read its audit log.")
    async with uow:
        records, total = await uow.audit.query(query)
    return AuditPage(records, total, query.limit, next_position(records, query.limit))
