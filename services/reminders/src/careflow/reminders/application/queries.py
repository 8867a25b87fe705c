"""Reading reminders: the organisation's list with filters, one resident's (audited), the
resident's own, and the audit log."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from careflow.reminders.application.ports import Actor, AuditRecord, ReminderFilter, UnitOfWork
from careflow.reminders.domain.due_status import DueColour, due_range
from careflow.reminders.domain.errors import NotFound
from careflow.reminders.domain.reminder import Reminder
from careflow.shared.audit import AuditPage, AuditQuery, Purpose, page_of


@dataclass(frozen=True)
class ListQuery:
    status: str | None = None
    kind: str | None = None
    colour: DueColour | None = None
    channel: str | None = None
    due_from: date | None = None
    due_to: date | None = None
    resident_id: UUID | None = None
    limit: int = 100
    offset: int = 0


def _audit(
    actor: Actor, reminders: list[Reminder], action: str, now: datetime
) -> list[AuditRecord]:
    residents = {r.resident_id for r in reminders if r.resident_id is not None}
    return [
        AuditRecord(
            organisation_id=actor.organisation_id,
            professional_id=actor.professional_id,
            unit_id=actor.unit_id,
            resident_id=resident,
            action=action,
            purpose=Purpose.CARE.value,
            at=now,
        )
        for resident in sorted(residents)
    ]


async def list_reminders(
    query: ListQuery, actor: Actor, uow: UnitOfWork, now: datetime
) -> list[Reminder]:
    """The organisation's reminders, by due date; each resident shown is audited."""
    due_from, due_to = query.due_from, query.due_to
    if query.colour is not None:
        low, high = due_range(query.colour, now.date())
        due_from = max(filter(None, (due_from, low)), default=None)
        due_to = min(filter(None, (due_to, high)), default=None)
    flt = ReminderFilter(
        organisation_id=actor.organisation_id,
        resident_id=query.resident_id,
        status=query.status,
        kind=query.kind,
        channel=query.channel,
        due_from=due_from,
        due_to=due_to,
        limit=query.limit,
        offset=query.offset,
    )
    if due_from and due_to and due_from > due_to:
        return []
    async with uow:
        found = await uow.reminders.list(flt)
        await uow.audit.record(_audit(actor, found, "list_reminders", now))
        await uow.commit()
    return found


async def resident_reminders(
    resident_id: UUID, query: ListQuery, actor: Actor, uow: UnitOfWork, now: datetime
) -> list[Reminder]:
    """One resident's reminders in the caller's organisation (404 when the resident has no
    case there); the read is audited even when it finds none."""
    async with uow:
        if not await uow.projections.has_case_in(resident_id, actor.organisation_id):
            raise NotFound("No such resident in your organisation.")
    found = await list_reminders(replace(query, resident_id=resident_id), actor, uow, now)
    if not found:
        async with uow:
            await uow.audit.record(
                [
                    AuditRecord(
                        actor.organisation_id,
                        actor.professional_id,
                        actor.unit_id,
                        resident_id,
                        "list_reminders",
                        Purpose.CARE.value,
                        now,
                    )
                ]
            )
            await uow.commit()
    return found


async def my_reminders(resident_id: UUID, uow: UnitOfWork) -> list[Reminder]:
    """The calling resident's own reminders with their texts (not staff reminders)."""
    async with uow:
        return await uow.reminders.of_resident(resident_id)


async def query_audit(
    organisation_id: str, uow: UnitOfWork, query: AuditQuery, resident_id: UUID | None = None
) -> AuditPage:
    async with uow:
        return page_of(await uow.audit.page(organisation_id, query, resident_id=resident_id), query)
