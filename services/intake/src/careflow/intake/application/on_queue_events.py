"""Reactions to work-queue events: who has taken a case.

An event about a case intake does not know is parked in the consumer's
transaction (next to its inbox row) rather than retried: a `RetryLater` would
hold back every later event of its partition, other cases' too, for as long
as the case is missing, and forever if it never arrives. Parked events are
applied, oldest first, when the case arrives (`release_parked`), or given up
on after a timeout (`parked_events.ParkedEventSweeper`).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from careflow.contracts.envelope import Envelope
from careflow.contracts.workqueue import QueueItemTaken, QueueItemTransferred
from careflow.intake.application.case_changes import save_case
from careflow.intake.application.ports import Clock, ParkingMetrics, UnitOfWork
from careflow.intake.domain.case import Case
from careflow.intake.domain.parking import ParkedEvent

log = logging.getLogger(__name__)

QueueEvent = QueueItemTaken | QueueItemTransferred
#: The work-queue events intake acts on, by CloudEvents type (to read parked payloads back).
QUEUE_EVENTS: dict[str, type[QueueEvent]] = {
    cls.event_type: cls for cls in (QueueItemTaken, QueueItemTransferred)
}


@dataclass(frozen=True)
class ParkingSpot:
    """What a parked event records besides itself: its topic, the consumer group whose
    inbox holds its id, and the clock its waiting time is measured with; and where it is
    counted."""

    topic: str
    consumer: str
    clock: Clock
    metrics: ParkingMetrics


def apply_queue_event(case: Case, event: QueueEvent) -> None:
    """What one work-queue event does to a case (the rules are the domain's)."""
    if isinstance(event, QueueItemTaken):
        case.mark_taken(event.professional_id, event.taken_at)
    elif event.to_professional_id is not None:
        # A transfer to a professional makes them responsible; to a group changes nothing.
        case.mark_taken(event.to_professional_id, event.transferred_at)


async def on_queue_item_taken(
    event: QueueItemTaken, envelope: Envelope, uow: UnitOfWork, *, parking: ParkingSpot
) -> None:
    """Marks the case taken; a case not here (yet) parks the event."""
    await _react(event, envelope, uow, parking)


async def on_queue_item_transferred(
    event: QueueItemTransferred, envelope: Envelope, uow: UnitOfWork, *, parking: ParkingSpot
) -> None:
    """A transfer to a professional makes them responsible; a group transfer changes nothing."""
    if event.to_professional_id is None:
        return
    await _react(event, envelope, uow, parking)


async def _react(
    event: QueueEvent, envelope: Envelope, uow: UnitOfWork, parking: ParkingSpot
) -> None:
    case = await uow.cases.get(event.case_id, lock=True)
    if case is None:
        await park(event, envelope, uow, parking)
        return
    apply_queue_event(case, event)
    await save_case(uow, case)


async def park(
    event: QueueEvent, envelope: Envelope, uow: UnitOfWork, parking: ParkingSpot
) -> None:
    await uow.parked.add(
        ParkedEvent(
            case_id=event.case_id,
            topic=parking.topic,
            consumer=parking.consumer,
            event_id=envelope.id,
            event_type=event.event_type,
            source=envelope.source,
            occurred_at=envelope.time,
            payload=event.model_dump(mode="json"),
            parked_at=parking.clock(),
        )
    )
    parking.metrics.parked(event.event_type)
    # The type only: ids would let logs be joined to a resident's case.
    log.info("parked %s: its case is not known to intake yet", event.event_type)


async def release_parked(uow: UnitOfWork, case: Case, metrics: ParkingMetrics) -> int:
    """Applies, oldest first, the events parked for a case that has just arrived.

    The caller saves the case and commits: the parked rows are deleted in the
    same transaction, so each is applied exactly once.
    """
    parked = await uow.parked.take_for_case(case.id)
    for entry in parked:
        apply_queue_event(case, QUEUE_EVENTS[entry.event_type].model_validate(entry.payload))
    if parked:
        metrics.released(len(parked))
        log.info("applied %d parked work-queue events to an arriving case", len(parked))
    return len(parked)
