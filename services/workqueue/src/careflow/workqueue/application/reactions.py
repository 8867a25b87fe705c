"""Building the queue from intake's case events (intake.cases.v1).

Each reaction runs inside the consumer's unit of work, which also records the
event id in the inbox and commits once: a redelivered event has no second
effect. An event about a case the queue does not know yet (it overtook its
CaseSubmitted) is parked in the same transaction and applied, in arrival
order, when the case enters the queue — never dropped, and never blocking the
partition (a retry would: the missing CaseSubmitted sits behind it there).
"""

from __future__ import annotations

import logging
from datetime import datetime

from opentelemetry import metrics

from careflow.contracts import cases as c
from careflow.contracts.bookings import BookingCancelled
from careflow.contracts.messages import MessageSent, MessagesRead
from careflow.workqueue.application.outgoing import publish_changes
from careflow.workqueue.application.ports import UnitOfWork, UrgencyPolicies
from careflow.workqueue.domain.model import ClearCause, QueueItem, Status
from careflow.workqueue.domain.urgency import UrgencyPolicy

log = logging.getLogger(__name__)
_meter = metrics.get_meter("careflow.workqueue")
IMMEDIATE_ITEMS = _meter.create_counter(
    "workqueue.immediate_items",
    description="P0 cases recorded as emergencies (never queued; alert on any).",
)
PARKED_EVENTS = _meter.create_counter(
    "workqueue.parked_events", description="Case events parked until their case is known."
)

Creation = c.CaseSubmitted | c.CaseCreatedByProfessional
#: Events that change an existing item; the others on the topic are not the queue's business.
FOLLOW_UPS: dict[str, type[c.CaseEvent]] = {
    cls.event_type: cls
    for cls in (
        c.ClosingProposed,
        c.ClosingObjected,
        c.ClosingProposalRejected,
        c.CaseClosed,
        c.QuestionnaireFilled,
        c.GoalEdited,
    )
}


#: Messaging's events about a case's messages (messaging.messages.v1). Another topic than
#: the case's, so one may overtake the case's CaseSubmitted: parked like a case event.
MESSAGE_FOLLOW_UPS: dict[str, type[MessageSent | MessagesRead]] = {
    cls.event_type: cls for cls in (MessageSent, MessagesRead)
}
#: Every event that may wait for its case, by type (to read parked ones back).
PARKABLE: dict[str, type[c.CaseEvent | MessageSent | MessagesRead]] = {
    **FOLLOW_UPS,
    **MESSAGE_FOLLOW_UPS,
}


def _new_item(event: Creation, policy: UrgencyPolicy, now: datetime) -> QueueItem:
    if isinstance(event, c.CaseSubmitted):
        kind, urgency, at, assignee = event.form_kind, event.urgency, event.submitted_at, None
    else:
        kind, urgency, at = event.kind, None, event.created_at
        # Created together at an appointment, or routed to no group: it is the creator's task.
        assignee = event.created_by if event.kind == "appointment" or not event.group_id else None
    return QueueItem.enter_queue(
        case_id=event.case_id,
        resident_id=event.resident_id,
        organisation_id=event.organisation_id,
        unit_id=event.unit_id,
        group_id=event.group_id,
        case_kind=kind,
        language=event.language,
        proxy_contact=event.proxy_contact,
        urgency=urgency,
        submitted_at=at,
        assignee=assignee,
        policy=policy,
        now=now,
    )


def apply_follow_up(
    item: QueueItem, event: c.CaseEvent | MessageSent | MessagesRead, now: datetime
) -> None:
    """What one case event does to an existing item (pure: the rules are in the domain)."""
    match event:
        case c.ClosingProposed(proposed_by="resident"):
            item.resident_proposes_closing(now)
        case c.ClosingObjected():
            # The resident objects by sending a message: a resident message clears incomplete.
            item.clear_incomplete(ClearCause.RESIDENT_MESSAGE, now)
        case c.ClosingProposalRejected():
            item.resident_proposal_rejected()
        case c.CaseClosed():
            item.close(reason=event.reason, closed_at=event.closed_at, now=now)
        case c.QuestionnaireFilled():
            item.clear_incomplete(ClearCause.QUESTIONNAIRE_FILLED, now)
        case c.GoalEdited(edited_by="resident"):
            item.clear_incomplete(ClearCause.GOAL_EDITED, now)
        case MessageSent():
            # The count is messaging's, after the message: the latest event of the case wins.
            resident_wrote = event.author == "resident"
            item.messages_changed(
                event.unread_by_professionals, resident_wrote=resident_wrote, now=now
            )
        case MessagesRead():
            item.messages_changed(event.unread_by_professionals, resident_wrote=False, now=now)


async def on_case_created(
    event: Creation, uow: UnitOfWork, *, policies: UrgencyPolicies, now: datetime
) -> None:
    """A submitted or professional-created case enters its organisation's queue, once,
    ranked and given a due time by that organisation's urgency scale."""
    # A plain read: a case not in the queue has no row to lock, and one that is was
    # announced again under a new event id (a republish) - still one item. Its own
    # partition brings the case's events one at a time, so nothing else inserts it.
    existing, parked = await uow.items.get_or_parked(event.case_id)
    if existing is not None:
        return
    item = _new_item(event, policies.for_organisation(event.organisation_id), now)
    for event_type, payload in parked:
        apply_follow_up(item, PARKABLE[event_type].model_validate(payload), now)
    await uow.items.add(item)
    if item.status is Status.REMOVED:
        item.pull_events()  # closed before anyone could take it: it never appears anywhere
        return
    if item.immediate:
        IMMEDIATE_ITEMS.add(1)
        log.warning("a P0 case arrived: recorded as an emergency at the top of every group queue")
    publish_changes(uow, item)


async def on_case_follow_up(
    event: c.CaseEvent | MessageSent | MessagesRead,
    event_id: str,
    uow: UnitOfWork,
    *,
    now: datetime,
) -> None:
    """Applies a later case (or message) event, or parks it until the case is known."""
    item = await uow.items.get(event.case_id, for_update=True)
    if item is None:
        await uow.items.park(
            event.case_id, event_id, event.event_type, event.model_dump(mode="json"), now
        )
        PARKED_EVENTS.add(1, {"event_type": event.event_type})
        log.info("parked %s: its case is not in the queue yet", event.event_type)
        return
    apply_follow_up(item, event, now)
    await uow.items.update(item)
    publish_changes(uow, item)


async def on_booking_cancelled(event: BookingCancelled, uow: UnitOfWork, *, now: datetime) -> None:
    """The resident cancelling a booking of the case clears "incomplete" (domain.md).

    From the booking integration's topic, keyed by booking: it may overtake the
    case's own events, but is never parked — an item the queue does not know yet
    cannot have been marked incomplete, so there is nothing to clear. A booking
    naming another organisation's case is not that case's business.
    """
    if event.cancelled_by != "resident":
        return
    item = await uow.items.get(event.case_id, for_update=True)
    if item is None or item.organisation_id != event.organisation_id:
        return
    item.clear_incomplete(ClearCause.BOOKING_CANCELLED, now)
    if item.events:
        await uow.items.update(item)
        publish_changes(uow, item)
