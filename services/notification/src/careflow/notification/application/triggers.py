"""Which contract events notify a resident, and of what (contract event → request)."""

from __future__ import annotations

import uuid

from careflow.contracts import cases as c
from careflow.contracts.base import ContractEvent
from careflow.contracts.notifications import NotificationRequested
from careflow.contracts.workqueue import QueueItemMarkedIncomplete
from careflow.notification.application.context import Notifier
from careflow.notification.domain.consent import CHANNELS
from careflow.notification.domain.notification import NotificationRequest

# Namespace of notification ids derived from other services' ids: the same task,
# proposal or coaching notifies once even if its event is republished under a new id.
_IDS = uuid.UUID("7d0c4e64-56b1-4f4e-9a51-0f7a3f4b9c21")


def _id(kind: str, value: object) -> uuid.UUID:
    return uuid.uuid5(_IDS, f"{kind}:{value}")


def request_for(event: ContractEvent, notifier: Notifier) -> NotificationRequest | None:
    """The notification an event asks for; None when it notifies nobody."""
    now = notifier.clock()
    source = event.event_type
    if isinstance(event, NotificationRequested):
        return NotificationRequest(
            notification_id=event.notification_id,
            resident_id=event.resident_id,
            purpose=event.purpose,
            channels=tuple(event.channels),
            link=notifier.links.for_target(event.link_target, event.case_id),
            received_at=now,
            case_id=event.case_id,
            not_before=event.not_before,
            source=source,
            organisation_id=event.organisation_id,
        )
    found = _case_trigger(event)
    if found is None:
        return None
    notification_id, purpose, deadline = found
    case_id = event.case_id  # type: ignore[attr-defined]
    return NotificationRequest(
        notification_id=notification_id,
        resident_id=event.resident_id,  # type: ignore[attr-defined]
        purpose=purpose,
        channels=CHANNELS,
        link=notifier.links.for_target("case", case_id),
        received_at=now,
        case_id=case_id,
        deadline=deadline,
        source=source,
    )


def _case_trigger(event: ContractEvent) -> tuple[uuid.UUID, str, object] | None:
    if isinstance(event, c.ClosingProposed):
        if event.proposed_by != "professional":
            return None  # the resident proposed it: nothing to tell them
        return (
            _id("closing_proposed", event.proposal_id),
            "closing_proposed",
            event.objection_deadline,
        )
    if isinstance(event, c.ClosingProposalRejected):
        return _id("closing_rejected", event.proposal_id), "closing_rejected", None
    if isinstance(event, c.TaskAssigned):
        purpose = "action_instruction" if event.task_kind == "action_instruction" else "task"
        return _id("task", event.task_id), purpose, None
    if isinstance(event, c.GoalSet):
        if event.set_by != "professional":
            # The resident set it, alone or together with a professional: they know.
            return None
        return _id("goal", event.goal_id), "new_goal", None
    if isinstance(event, c.CaseClosed):
        if event.reason != "professional_without_consent":
            return None  # the resident closed it, agreed to it or let the window pass
        # The professional's stated reason stays in intake (it may hold health
        # details): the notification only asks the resident to log in and read it.
        return _id("closed_without_consent", event.case_id), "case_closed_without_consent", None
    if isinstance(event, c.CoachingAttached):
        return _id("coaching", event.coaching_id), "coaching", None
    if isinstance(event, QueueItemMarkedIncomplete):
        marked = f"{event.case_id}:{event.marked_at.isoformat()}"
        return _id("incomplete", marked), "incomplete_submission", None
    return None
