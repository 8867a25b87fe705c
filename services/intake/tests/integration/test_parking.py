"""Through the real broker and PostgreSQL: work-queue events about a case intake does not
know are parked (never retried in place), applied when the case arrives, and
dead-lettered with the reason when it never does."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import UTC, datetime
from typing import Any

from aiokafka.partitioner import murmur2

from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import WORKQUEUE_ITEMS
from careflow.contracts.workqueue import QueueItemTaken
from careflow.intake.application.case_changes import save_case
from careflow.intake.application.parked_events import GIVEN_UP_CODE
from careflow.intake.domain.case import Case
from careflow.intake.domain.forms import FormPolicy, FormSubmission, Submitter, admit
from careflow.shared.messaging.dead_letters import H_CODE, H_GROUP, H_REASON, header
from careflow.shared.messaging.dlq_replay import DeadLetter, read_dead_letters, replay
from careflow.testing.probe_service import publish_raw

from .conftest import PARKING_TIMEOUT_S, Api, resident, symptom_form, wait_until


def _partition(case_id: uuid.UUID) -> int:
    """aiokafka's default partitioner: where the relay puts a key."""
    return (murmur2(str(case_id).encode()) & 0x7FFFFFFF) % WORKQUEUE_ITEMS.partitions


def _unknown_case_on_partition_of(known: uuid.UUID) -> uuid.UUID:
    while _partition(candidate := uuid.uuid4()) != _partition(known):
        pass
    return candidate


async def _publish_taken(bootstrap: str, case_id: uuid.UUID, professional_id: str) -> str:
    """A QueueItemTaken as workqueue's relay publishes it; returns its CloudEvents id."""
    event = QueueItemTaken(
        case_id=case_id, professional_id=professional_id, taken_at=datetime.now(UTC)
    )
    event_id = str(uuid.uuid4())
    headers = Envelope(
        id=event_id, type=event.event_type, source="/careflow/workqueue", subject=str(case_id)
    ).to_headers()
    body = json.dumps(event.model_dump(mode="json")).encode()
    await publish_raw(bootstrap, WORKQUEUE_ITEMS.name, [(str(case_id).encode(), body, headers)])
    return event_id


async def _parked(api: Api, case_id: uuid.UUID) -> list[Any]:
    return await api.rows(
        "SELECT event_id, event_type, consumer FROM parked_events WHERE case_id = :c", c=case_id
    )


async def _taken_by(api: Api, case_id: uuid.UUID) -> str | None:
    [(taken_by,)] = await api.rows("SELECT taken_by FROM cases WHERE id = :c", c=case_id)
    return taken_by


def _case_with_id(case_id: uuid.UUID, now: datetime) -> Case:
    form = FormSubmission(
        kind="service_assessment", language="fi", organisation_id="org-1", phone="+358401234567"
    )
    admission = admit(form, Submitter(uuid.uuid4(), True), FormPolicy(), now.date())
    return Case.submit(form, admission, None, now, case_id=case_id)


async def _an_event_for_an_unknown_case_is_parked_and_does_not_hold_back_its_partition(
    worker: Api, kafka
) -> None:  # type: ignore[no-untyped-def]
    known = uuid.UUID(
        (
            await worker.call("POST", "/forms", resident(f"res-{uuid.uuid4()}"), symptom_form())
        ).json()["case_id"]
    )
    unknown = _unknown_case_on_partition_of(known)
    early = await _publish_taken(kafka.bootstrap_servers, unknown, "nurse-early")
    await _publish_taken(kafka.bootstrap_servers, known, "nurse-later")

    # The later event on the same partition applies although the first one cannot.
    assert await wait_until(lambda: _taken_by(worker, known)) == "nurse-later"
    [(event_id, event_type, consumer)] = await _parked(worker, unknown)
    assert (event_id, event_type) == (early, QueueItemTaken.event_type)
    assert consumer == worker.app.state.container.settings.consumer_group


async def _a_case_committed_while_its_event_was_parked_is_caught_up_by_the_sweeper(
    worker: Api, kafka
) -> None:  # type: ignore[no-untyped-def]
    case_id = uuid.uuid4()
    await _publish_taken(kafka.bootstrap_servers, case_id, "nurse-race")
    await wait_until(lambda: _parked(worker, case_id))

    # Saved without looking at parked events: as if its transaction ran concurrently
    # with the parking one and neither saw the other's row.
    intake = worker.app.state.container.intake
    async with intake.uow() as uow:
        await save_case(uow, _case_with_id(case_id, intake.clock()))
        await uow.commit()

    assert await wait_until(lambda: _taken_by(worker, case_id)) == "nurse-race"
    assert await _parked(worker, case_id) == []


async def _letter(bootstrap: str, event_id: str) -> DeadLetter | None:
    letters = await read_dead_letters(bootstrap, WORKQUEUE_ITEMS.dlq)
    return next((letter for letter in letters if letter.event_id == event_id), None)


async def _an_event_whose_case_never_arrives_is_dead_lettered_with_the_reason_and_replayable(
    worker: Api, kafka
) -> None:  # type: ignore[no-untyped-def]
    case_id = uuid.uuid4()
    event_id = await _publish_taken(kafka.bootstrap_servers, case_id, "nurse-lost")
    await wait_until(lambda: _parked(worker, case_id))
    group = worker.app.state.container.settings.consumer_group
    inbox = "SELECT event_id FROM inbox WHERE consumer = :g AND event_id = :e"
    assert await worker.rows(inbox, g=group, e=event_id)

    worker.clock.advance(seconds=PARKING_TIMEOUT_S - 1)
    await asyncio.sleep(1.0)  # several sweeps (every 0.2 s)
    assert await _letter(kafka.bootstrap_servers, event_id) is None
    assert await _parked(worker, case_id)  # still waiting one second before the timeout

    worker.clock.advance(seconds=1)
    letter = await wait_until(lambda: _letter(kafka.bootstrap_servers, event_id), within=30)
    headers = letter.record.headers
    assert letter.code == GIVEN_UP_CODE == header(headers, H_CODE)
    assert "case unknown to intake for 600 s" in (header(headers, H_REASON) or "")
    assert header(headers, H_GROUP) == group
    assert letter.original_topic == WORKQUEUE_ITEMS.name
    assert letter.record.key == str(case_id).encode()
    assert await wait_until(lambda: _nothing_parked(worker, case_id))
    assert await worker.rows(inbox, g=group, e=event_id) == []

    # Replayed with its original id, it is consumed again (not dropped as a duplicate).
    assert await replay(kafka.bootstrap_servers, [letter]) == 1
    [(replayed_id, _type, _group)] = await wait_until(lambda: _parked(worker, case_id))
    assert replayed_id == event_id


async def _nothing_parked(api: Api, case_id: uuid.UUID) -> bool:
    return await _parked(api, case_id) == []


async def test_events_about_unknown_cases_through_the_broker(worker: Api, kafka) -> None:  # type: ignore[no-untyped-def]
    """One service instance for the three scenarios: its consumer groups take a while to
    join. The dead-letter scenario runs last: it moves the clock past every parking."""
    await _an_event_for_an_unknown_case_is_parked_and_does_not_hold_back_its_partition(
        worker, kafka
    )
    await _a_case_committed_while_its_event_was_parked_is_caught_up_by_the_sweeper(worker, kafka)
    await _an_event_whose_case_never_arrives_is_dead_lettered_with_the_reason_and_replayable(
        worker, kafka
    )
