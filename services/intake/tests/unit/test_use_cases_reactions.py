"""Reactions with an in-memory unit of work: work-queue and booking events, parked events."""

from __future__ import annotations

import uuid
from datetime import timedelta

from careflow.contracts.bookings import BookingCancelled, BookingConfirmed
from careflow.contracts.envelope import Envelope
from careflow.contracts.workqueue import QueueItemTaken, QueueItemTransferred
from careflow.intake.application.on_booking_events import (
    on_booking_cancelled,
    on_booking_confirmed,
)
from careflow.intake.application.on_queue_events import (
    ParkingSpot,
    on_queue_item_taken,
    on_queue_item_transferred,
)
from careflow.intake.application.parked_events import GIVEN_UP_CODE, ParkedEventSweeper
from careflow.intake.domain.parking import ParkedEvent, ParkingRules

from .builders import T0, Clock
from .fakes import CountingMetrics, FakeDatabase, intake_on, me, submitted


def _envelope(event: QueueItemTaken | QueueItemTransferred) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()), type=event.event_type, source="/careflow/workqueue", subject="x"
    )


async def _react(
    db: FakeDatabase, clock: Clock, event: QueueItemTaken, metrics: CountingMetrics | None = None
) -> None:
    parking = ParkingSpot(
        topic="workqueue.items.v1",
        consumer="intake",
        clock=clock,
        metrics=metrics or CountingMetrics(),
    )
    async with db.uow() as uow:
        await on_queue_item_taken(event, _envelope(event), uow, parking=parking)
        await uow.commit()


async def test_a_take_marks_a_known_case_taken() -> None:
    db, clock = FakeDatabase(), Clock()
    case_id = await submitted(db, clock, me())
    await _react(db, clock, QueueItemTaken(case_id=case_id, professional_id="n-1", taken_at=T0))
    assert db.state.cases[case_id].taken_by == "n-1"
    assert db.state.parked == []


async def test_a_take_for_an_unknown_case_is_parked_with_its_envelope() -> None:
    db, clock = FakeDatabase(), Clock()
    event = QueueItemTaken(case_id=uuid.uuid4(), professional_id="n-1", taken_at=T0)
    metrics = CountingMetrics()
    await _react(db, clock, event, metrics)
    assert metrics.counts == {f"parked {event.event_type}": 1}
    [parked] = db.state.parked
    assert (parked.case_id, parked.event_type, parked.consumer, parked.parked_at) == (
        event.case_id,
        event.event_type,
        "intake",
        clock.now,
    )
    assert db.state.cases == {}


async def test_a_transfer_to_a_group_changes_nothing_and_parks_nothing() -> None:
    db, clock = FakeDatabase(), Clock()
    case_id = uuid.uuid4()
    event = QueueItemTransferred(
        case_id=case_id, transferred_by="n-1", to_group_id="doctors", transferred_at=T0
    )
    parking = ParkingSpot(
        topic="workqueue.items.v1", consumer="intake", clock=clock, metrics=CountingMetrics()
    )
    async with db.uow() as uow:
        await on_queue_item_transferred(event, _envelope(event), uow, parking=parking)
        await uow.commit()
    assert db.state.parked == []


async def test_a_cancellation_arriving_first_is_final() -> None:
    db, case_id = FakeDatabase(), uuid.uuid4()
    common = {"booking_id": "b-1", "case_id": case_id, "organisation_id": "org-1"}
    async with db.uow() as uow:
        await on_booking_cancelled(
            BookingCancelled(cancelled_by="resident", cancelled_at=T0, **common), uow
        )
        await on_booking_confirmed(
            BookingConfirmed(
                starts_at=T0 + timedelta(days=1),
                ends_at=T0 + timedelta(days=1, hours=1),
                confirmed_at=T0 - timedelta(hours=1),
                **common,
            ),
            uow,
        )
        await uow.commit()
    booking = db.state.bookings["b-1"]
    assert (booking.status, booking.cancelled_by, booking.starts_at) == (
        "cancelled",
        "resident",
        None,
    )


class _Letters:
    def __init__(self) -> None:
        self.sent: list[tuple[ParkedEvent, str, str]] = []

    async def send(self, event: ParkedEvent, *, reason: str, code: str) -> None:
        self.sent.append((event, reason, code))


async def test_the_sweeper_applies_arrived_cases_and_dead_letters_the_expired() -> None:
    db, clock = FakeDatabase(), Clock()
    arrived = await submitted(db, clock, me())
    for case_id in (arrived, uuid.uuid4()):
        taken = QueueItemTaken(case_id=case_id, professional_id="n-8", taken_at=T0)
        db.state.parked.append(
            ParkedEvent(
                case_id=case_id,
                topic="workqueue.items.v1",
                consumer="intake",
                event_id=str(uuid.uuid4()),
                event_type=taken.event_type,
                source="/careflow/workqueue",
                occurred_at=T0,
                payload=taken.model_dump(mode="json"),
                parked_at=T0,
                id=len(db.state.parked) + 1,
            )
        )
    letters, metrics = _Letters(), CountingMetrics()
    sweeper = ParkedEventSweeper(
        intake_on(db, clock, metrics), letters, ParkingRules(timedelta(hours=1)), batch_size=10
    )
    assert await sweeper.sweep() == (1, 0)
    assert db.state.cases[arrived].taken_by == "n-8"
    clock.advance(hours=1)
    assert await sweeper.sweep() == (0, 1)
    [(letter, reason, code)] = letters.sent
    assert code == GIVEN_UP_CODE
    assert "3600 s" in reason
    assert letter.case_id != arrived
    assert db.state.parked == []
    assert metrics.counts == {"released": 1, f"dead-lettered {QueueItemTaken.event_type}": 1}
