"""The resident's communication history: every notification, its deliveries and their steps.

Residents (and guardians of children under 15) read all of it. A professional reads
the notifications about cases of their own organisation and those without a case their
organisation requested (domain/professional_access.py), and only for a resident who has
a case there or such a notification; each such read is audited in its own transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from careflow.notification.application.ports import UnitOfWork
from careflow.notification.domain.errors import NotFound
from careflow.notification.domain.guardianship import Ward, ensure_history_readable
from careflow.notification.domain.history import (
    DeliveryRecord,
    HistoryCursor,
    HistoryPage,
    NotificationRecord,
)
from careflow.shared.audit import AuditPage, AuditQuery, Purpose, page_of


@dataclass(frozen=True)
class ProfessionalReader:
    """Who reads: from the professional's token."""

    subject: str
    organisation: str
    unit: str | None = None


@dataclass(frozen=True)
class ResidentReader:
    """Who reads: the calling resident and the children their token says they guard."""

    resident_id: UUID
    wards: tuple[Ward, ...] = ()


async def readable_history(
    resident_id: UUID,
    reader: ResidentReader,
    uow_factory: Callable[[], UnitOfWork],
    *,
    today: date,
    limit: int = 100,
    cursor: str | None = None,
) -> HistoryPage:
    """A page of a resident's history for themself or their guardian (child under 15);
    else NotFound."""
    ensure_history_readable(
        resident_id, reader_id=reader.resident_id, wards=reader.wards, today=today
    )
    return await communication_history(resident_id, uow_factory, limit, cursor)


async def communication_history(
    resident_id: UUID,
    uow_factory: Callable[[], UnitOfWork],
    limit: int = 100,
    cursor: str | None = None,
) -> HistoryPage:
    """A page, newest first, after `cursor` (a page's `next_cursor`; InvalidCursor for any
    other text). Parked requests show with no deliveries yet. Addresses are never shown."""
    after = None if cursor is None else HistoryCursor.decode(cursor)
    async with uow_factory() as uow:
        found = await uow.notifications.of_resident(resident_id, limit, after)
        page = HistoryPage.of(found, limit)
        return replace(page, items=await _with_deliveries(page.items, uow))


async def professional_history(
    resident_id: UUID,
    reader: ProfessionalReader,
    uow_factory: Callable[[], UnitOfWork],
    *,
    now: datetime,
    limit: int = 100,
    cursor: str | None = None,
) -> HistoryPage:
    """A page of the notifications shown to the reader's organisation (its cases', and
    those without a case it requested; as `communication_history`); NotFound for a
    resident with neither there; each page read is audited."""
    after = None if cursor is None else HistoryCursor.decode(cursor)
    async with uow_factory() as uow:
        if not await uow.cases.has_history_in(resident_id, reader.organisation):
            raise NotFound("No communication history found.")
        found = await uow.cases.notifications_in(resident_id, reader.organisation, limit, after)
        page = HistoryPage.of(found, limit)
        items = await _with_deliveries(page.items, uow)
        # In the read's transaction: no read without its record.
        await uow.audit.record(
            at=now,
            professional_id=reader.subject,
            organisation_id=reader.organisation,
            unit_id=reader.unit,
            resident_id=resident_id,
            action="read_communication_history",
            purpose=Purpose.COMMUNICATION_REVIEW,
            items=len(items),
        )
        await uow.commit()
    return replace(page, items=items)


async def query_audit(
    organisation: str,
    uow_factory: Callable[[], UnitOfWork],
    query: AuditQuery,
    *,
    resident_id: UUID | None = None,
) -> AuditPage:
    """Who read which resident's communication history, newest first (one organisation).

    Not itself audited: the records show pseudonymous ids, never what was sent
    or where (careflow.shared.audit).
    """
    async with uow_factory() as uow:
        records = await uow.audit.page(organisation, query, resident_id=resident_id)
    return page_of(records, query)


async def _with_deliveries(
    found: list[NotificationRecord], uow: UnitOfWork
) -> list[NotificationRecord]:
    deliveries = await uow.deliveries.of_notifications([n.notification_id for n in found])
    steps = await uow.deliveries.steps_of([d.delivery_id for d in deliveries])
    by_notification: dict[UUID, list[DeliveryRecord]] = {}
    for delivery in deliveries:
        by_notification.setdefault(delivery.notification_id, []).append(
            replace(delivery, steps=tuple(steps.get(delivery.delivery_id, ())))
        )
    return [replace(n, deliveries=tuple(by_notification.get(n.notification_id, ()))) for n in found]
