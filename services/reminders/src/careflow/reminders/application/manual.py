"""Reminders professionals make by hand: for one resident (sent on a schedule, from a
template or free text) or for staff (internal, never sent); cancelling one."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from uuid import UUID

from careflow.reminders.application.context import Policy
from careflow.reminders.application.outgoing import publish_withdrawals
from careflow.reminders.application.ports import Actor, UnitOfWork
from careflow.reminders.domain.errors import InvalidInput, NotFound
from careflow.reminders.domain.manual import check_manual
from careflow.reminders.domain.reminder import Kind, Reminder, Source
from careflow.reminders.domain.templates import render

DEFAULT_LANGUAGE = "fi"


@dataclass(frozen=True)
class ManualReminder:
    resident_id: UUID
    due_date: date
    send_times: tuple[datetime, ...]
    channels: tuple[str, ...]
    template_id: UUID | None = None
    text: str | None = None


async def create_manual_reminder(
    request: ManualReminder, actor: Actor, uow: UnitOfWork, policy: Policy, now: datetime
) -> Reminder:
    """Saved into the send queue; refused for a channel without contact data, a due date in
    the past or a send time too soon to send."""
    if (request.template_id is None) == (request.text is None):
        raise InvalidInput("Give either a template or a text, not both.")
    async with uow:
        if not await uow.projections.has_case_in(request.resident_id, actor.organisation_id):
            raise NotFound("No such resident in your organisation.")
        contact = await uow.projections.contact(request.resident_id)
        check_manual(
            due_date=request.due_date,
            send_times=list(request.send_times),
            channels=request.channels,
            contact=contact,
            now=now,
            min_notice=policy.min_notice,
        )
        due_at = datetime.combine(request.due_date, time(0, 0), tzinfo=UTC)
        language = contact.language if contact else DEFAULT_LANGUAGE
        version, text = None, request.text
        if request.template_id is not None:
            owner = await uow.catalogue.template_organisation(request.template_id)
            template = await uow.catalogue.latest_text(request.template_id, language)
            if owner != actor.organisation_id or template is None:
                raise InvalidInput("No such template in the resident's language.")
            version, text = template.version, render(template.text, due_at)
        reminder = Reminder(
            reminder_id=uuid.uuid4(),
            organisation_id=actor.organisation_id,
            resident_id=request.resident_id,
            kind=Kind.PATIENT,
            source=Source.MANUAL,
            due_at=due_at,
            channels=request.channels,
            created_at=now,
            updated_at=now,
            template_id=request.template_id,
            template_version=version,
            language=language,
            text=text,
            created_by=actor.professional_id,
        )
        reminder.schedule(list(request.send_times))
        await uow.reminders.add(reminder)
        await uow.commit()
    return reminder


async def create_internal_reminder(
    resident_id: UUID,
    due_date: date,
    text: str,
    assignee: str | None,
    actor: Actor,
    uow: UnitOfWork,
    now: datetime,
) -> Reminder:
    """A reminder for staff (e.g. call the resident after the operation); never sent."""
    async with uow:
        if not await uow.projections.has_case_in(resident_id, actor.organisation_id):
            raise NotFound("No such resident in your organisation.")
        reminder = Reminder(
            reminder_id=uuid.uuid4(),
            organisation_id=actor.organisation_id,
            resident_id=resident_id,
            kind=Kind.INTERNAL,
            source=Source.MANUAL,
            due_at=datetime.combine(due_date, time(0, 0), tzinfo=UTC),
            channels=(),
            created_at=now,
            updated_at=now,
            text=text,
            assignee=assignee or actor.professional_id,
            created_by=actor.professional_id,
        )
        await uow.reminders.add(reminder)
        await uow.commit()
    return reminder


async def cancel_reminder(
    reminder_id: UUID, actor: Actor, uow: UnitOfWork, now: datetime
) -> Reminder:
    """Its unsent messages are withdrawn, also one notification holds but has not sent."""
    async with uow:
        reminder = await uow.reminders.get(reminder_id, for_update=True)
        if reminder is None or reminder.organisation_id != actor.organisation_id:
            raise NotFound("No such reminder in your organisation.")
        withdrawals = reminder.cancel(now, "reminder_cancelled")
        await uow.reminders.save(reminder)
        publish_withdrawals(uow.outbox, withdrawals, now)
        await uow.commit()
    return reminder
