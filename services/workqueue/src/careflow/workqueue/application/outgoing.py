"""Domain events → contract events on workqueue.items.v1 (the desktop-integration topic)."""

from __future__ import annotations

from careflow.contracts import workqueue as wq
from careflow.contracts.base import ContractEvent
from careflow.workqueue.application.ports import UnitOfWork
from careflow.workqueue.domain import events as ev
from careflow.workqueue.domain.model import QueueItem


def to_contract(event: ev.DomainEvent, item: QueueItem) -> ContractEvent:
    """The contract event telling integrations what changed; ids and codes only."""
    match event:
        case ev.ItemAdded():
            return wq.QueueItemAdded(
                case_id=item.case_id,
                resident_id=item.resident_id,
                organisation_id=item.organisation_id,
                unit_id=item.unit_id,
                group_id=item.group_id,
                case_kind=item.case_kind,  # type: ignore[arg-type]
                urgency=item.original_urgency,  # type: ignore[arg-type]
                language=item.language,  # type: ignore[arg-type]
                proxy_contact=item.proxy_contact,
                assigned_to=item.assignee if item.ever_taken else None,
                submitted_at=item.submitted_at,
                added_at=event.at,
            )
        case ev.ItemTaken():
            return wq.QueueItemTaken(
                case_id=event.case_id, professional_id=event.professional_id, taken_at=event.at
            )
        case ev.ItemTransferred():
            return wq.QueueItemTransferred(
                case_id=event.case_id,
                transferred_by=event.transferred_by,
                to_professional_id=event.to_professional_id,
                to_group_id=event.to_group_id,
                transferred_at=event.at,
            )
        case ev.UrgencyChanged():
            return wq.UrgencyChanged(
                case_id=event.case_id,
                original_urgency=event.original,  # type: ignore[arg-type]
                previous_urgency=event.previous,  # type: ignore[arg-type]
                current_urgency=event.current,  # type: ignore[arg-type]
                reason_code=event.reason_code,  # type: ignore[arg-type]
                changed_by=event.changed_by,
                changed_at=event.at,
            )
        case ev.ItemMarkedIncomplete():
            return wq.QueueItemMarkedIncomplete(
                case_id=event.case_id,
                resident_id=event.resident_id,
                marked_by=event.marked_by,
                marked_at=event.at,
            )
        case ev.IncompleteCleared():
            return wq.IncompleteCleared(
                case_id=event.case_id,
                cleared_by=str(event.cause),  # type: ignore[arg-type]
                cleared_at=event.at,
            )
        case ev.ItemRemoved():
            return wq.QueueItemRemoved(
                case_id=event.case_id, reason="closed_before_taken", removed_at=event.at
            )
        case ev.ItemClosed():
            return wq.QueueItemClosed(
                case_id=event.case_id,
                closing_reason=event.reason,  # type: ignore[arg-type]
                closed_at=event.at,
            )
    raise TypeError(f"no contract event for {type(event).__name__}")


def publish_changes(uow: UnitOfWork, item: QueueItem) -> int:
    """Adds the item's pending domain events to the outbox (same transaction); returns how many."""
    events = item.pull_events()
    for event in events:
        uow.outbox.add(to_contract(event, item), occurred_at=event.at)
    return len(events)
