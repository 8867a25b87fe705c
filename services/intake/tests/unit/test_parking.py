"""Parked work-queue events: how long they wait, what they do once their case arrives,
and the dead letter they become when it never does."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta

import pytest

from careflow.contracts.envelope import Envelope
from careflow.contracts.workqueue import QueueItemTaken, QueueItemTransferred
from careflow.intake.adapters.dead_letters import UNKNOWN_POSITION, as_record
from careflow.intake.application.on_queue_events import QUEUE_EVENTS, apply_queue_event
from careflow.intake.domain.parking import ParkedEvent, ParkingRules

from .builders import T0, submitted_case

RULES = ParkingRules(timedelta(hours=1))


def test_a_parked_event_waits_until_the_timeout_and_not_a_second_longer() -> None:
    assert not RULES.expired(T0, T0 + timedelta(minutes=59, seconds=59))
    assert RULES.expired(T0, T0 + timedelta(hours=1))
    assert RULES.gives_up_at(T0) == T0 + timedelta(hours=1)


def test_the_cutoff_selects_exactly_the_expired_events() -> None:
    now = T0 + timedelta(hours=3)
    cutoff = RULES.cutoff(now)
    assert RULES.expired(cutoff, now)
    assert not RULES.expired(cutoff + timedelta(microseconds=1), now)


@pytest.mark.parametrize("timeout", [timedelta(0), timedelta(seconds=-1)])
def test_a_timeout_must_be_positive(timeout: timedelta) -> None:
    with pytest.raises(ValueError, match="positive"):
        ParkingRules(timeout)


def test_the_reason_given_up_states_the_wait_and_nothing_about_the_case() -> None:
    assert RULES.reason() == "case unknown to intake for 3600 s after parking"


def test_a_parked_take_marks_the_arrived_case_taken() -> None:
    case = submitted_case()
    event = QueueItemTaken(case_id=case.id, professional_id="nurse-7", taken_at=T0)
    apply_queue_event(case, QUEUE_EVENTS[event.event_type].model_validate(event.model_dump()))
    assert (case.taken_by, case.taken_at) == ("nurse-7", T0)


def test_a_parked_transfer_to_a_professional_makes_them_responsible_and_to_a_group_does_not() -> (
    None
):
    case = submitted_case()
    to_group = QueueItemTransferred(
        case_id=case.id, transferred_by="nurse-1", to_group_id="doctors", transferred_at=T0
    )
    apply_queue_event(case, to_group)
    assert case.taken_by is None
    to_doctor = QueueItemTransferred(
        case_id=case.id, transferred_by="nurse-1", to_professional_id="doc-2", transferred_at=T0
    )
    apply_queue_event(case, to_doctor)
    assert case.taken_by == "doc-2"


def test_a_given_up_event_becomes_the_message_it_was_with_its_original_cloudevents_id() -> None:
    case_id = uuid.uuid4()
    event = QueueItemTaken(case_id=case_id, professional_id="nurse-7", taken_at=T0)
    parked = ParkedEvent(
        case_id=case_id,
        topic="workqueue.items.v1",
        consumer="intake",
        event_id="evt-1",
        event_type=event.event_type,
        source="/careflow/workqueue",
        occurred_at=T0,
        payload=event.model_dump(mode="json"),
        parked_at=T0,
        id=7,
    )
    record = as_record(parked)
    envelope = Envelope.from_headers(record.headers)
    assert (envelope.id, envelope.type, envelope.source) == (
        "evt-1",
        event.event_type,
        "/careflow/workqueue",
    )
    assert envelope.subject == str(case_id)
    assert record.key == str(case_id).encode()
    assert QueueItemTaken.model_validate(json.loads(record.value)) == event
    assert (record.topic, record.partition, record.offset) == (
        "workqueue.items.v1",
        UNKNOWN_POSITION,
        UNKNOWN_POSITION,
    )
