"""Reminders: the organisation's list, one resident's, manual and staff reminders, cancelling,
and the resident's own."""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Query, status

from careflow.reminders.application import manual, queries
from careflow.reminders.domain.due_status import DueColour
from careflow.reminders.entrypoints.api.deps import CurrentActor, OwnResidentId, Wiring
from careflow.reminders.entrypoints.api.schemas import (
    Day,
    InternalReminderBody,
    ManualReminderBody,
    ReminderListOut,
    ReminderOut,
)

router = APIRouter(tags=["reminders"])


class Filters:
    def __init__(
        self,
        status: Literal["active", "cancelled"] | None = None,
        kind: Literal["appointment", "patient", "internal"] | None = None,
        colour: Literal["black", "yellow", "red"] | None = None,
        channel: Literal["email", "sms"] | None = None,
        due_from: Day | None = None,
        due_to: Day | None = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
        offset: Annotated[int, Query(ge=0, le=100_000)] = 0,
    ) -> None:
        self.query = queries.ListQuery(
            status=status,
            kind=kind,
            colour=DueColour(colour) if colour else None,
            channel=channel,
            due_from=due_from,
            due_to=due_to,
            limit=limit,
            offset=offset,
        )


def _out(reminders: list, wiring: Wiring) -> ReminderListOut:  # type: ignore[type-arg]
    today = wiring.clock().date()
    return ReminderListOut(items=[ReminderOut.of(r, today) for r in reminders])


@router.get("/reminders", response_model=ReminderListOut)
async def list_reminders(
    actor: CurrentActor, wiring: Wiring, filters: Annotated[Filters, Depends()]
) -> ReminderListOut:
    """The organisation's reminders by due date, filtered by status, kind, due colour,
    channel and due range (dates inclusive). Each resident shown is audited."""
    found = await queries.list_reminders(filters.query, actor, wiring.uow(), wiring.clock())
    return _out(found, wiring)


@router.get("/residents/{resident_id}/reminders", response_model=ReminderListOut)
async def resident_reminders(
    resident_id: UUID, actor: CurrentActor, wiring: Wiring, filters: Annotated[Filters, Depends()]
) -> ReminderListOut:
    """One resident's reminders (404 when the resident has no case in the caller's
    organisation). Audited."""
    found = await queries.resident_reminders(
        resident_id, filters.query, actor, wiring.uow(), wiring.clock()
    )
    return _out(found, wiring)


@router.post(
    "/residents/{resident_id}/reminders",
    response_model=ReminderOut,
    status_code=status.HTTP_201_CREATED,
)
async def create_manual(
    resident_id: UUID, body: ManualReminderBody, actor: CurrentActor, wiring: Wiring
) -> ReminderOut:
    """A patient reminder by hand: sent at the given times, from a template or free text.
    Refused (422) for a channel without contact data, a due date in the past or a send
    time that leaves no time to send."""
    now = wiring.clock()
    reminder = await manual.create_manual_reminder(
        manual.ManualReminder(
            resident_id=resident_id,
            due_date=body.due_date,
            send_times=tuple(body.send_times),
            channels=tuple(body.channels),
            template_id=body.template_id,
            text=body.text,
        ),
        actor,
        wiring.uow(),
        wiring.policy,
        now,
    )
    return ReminderOut.of(reminder, now.date())


@router.post(
    "/residents/{resident_id}/internal-reminders",
    response_model=ReminderOut,
    status_code=status.HTTP_201_CREATED,
)
async def create_internal(
    resident_id: UUID, body: InternalReminderBody, actor: CurrentActor, wiring: Wiring
) -> ReminderOut:
    """A reminder for staff about the resident (e.g. call after the operation); never sent."""
    now = wiring.clock()
    reminder = await manual.create_internal_reminder(
        resident_id, body.due_date, body.text, body.assignee, actor, wiring.uow(), now
    )
    return ReminderOut.of(reminder, now.date())


@router.post("/reminders/{reminder_id}/cancel", response_model=ReminderOut)
async def cancel(reminder_id: UUID, actor: CurrentActor, wiring: Wiring) -> ReminderOut:
    """Cancels the reminder; messages not sent yet are withdrawn."""
    now = wiring.clock()
    reminder = await manual.cancel_reminder(reminder_id, actor, wiring.uow(), now)
    return ReminderOut.of(reminder, now.date())


@router.get("/me/reminders", response_model=ReminderListOut)
async def my_reminders(resident_id: OwnResidentId, wiring: Wiring) -> ReminderListOut:
    """The calling resident's reminders with their texts (strong authentication)."""
    return _out(await queries.my_reminders(resident_id, wiring.uow()), wiring)
