"""Through the real broker: intake's events reach the topic; QueueItemTaken reaches intake."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer

from careflow.contracts.envelope import Envelope
from careflow.contracts.workqueue import QueueItemTaken
from careflow.intake.application.case_changes import save_case
from careflow.intake.application.on_queue_events import release_parked
from careflow.intake.domain.case import Case
from careflow.intake.domain.forms import Submitter, admit
from careflow.testing.probe_service import publish_raw

from .conftest import Api, professional, resident, symptom_form, wait_until


async def _publish_taken(bootstrap: str, case_id: str, professional_id: str = "nurse-5") -> None:
    event = QueueItemTaken(
        case_id=uuid.UUID(case_id), professional_id=professional_id, taken_at=datetime.now(UTC)
    )
    headers = Envelope(
        id=str(uuid.uuid4()), type=event.event_type, source="/careflow/workqueue", subject=case_id
    ).to_headers()
    body = json.dumps(event.model_dump(mode="json")).encode()
    await publish_raw(bootstrap, "workqueue.items.v1", [(case_id.encode(), body, headers)])


async def _taken_by(api: Api, case_id: str) -> str | None:
    [(taken_by,)] = await api.rows("SELECT taken_by FROM cases WHERE id = :c", c=case_id)
    return taken_by


async def _a_taken_case_can_no_longer_be_closed_by_the_resident(worker: Api, kafka) -> None:  # type: ignore[no-untyped-def]
    me = resident(f"res-{uuid.uuid4()}")
    case_id = (await worker.call("POST", "/forms", me, symptom_form())).json()["case_id"]
    await _publish_taken(kafka.bootstrap_servers, case_id)
    assert await wait_until(lambda: _taken_by(worker, case_id)) == "nurse-5"
    response = await worker.call("POST", f"/me/cases/{case_id}/closure", me)
    assert response.status_code == 409
    page = (await worker.call("GET", f"/cases/{case_id}", professional())).json()
    assert page["taken_by"] == "nurse-5"


async def _taken_for_a_case_not_yet_here_is_parked_until_it_applies(worker: Api, kafka) -> None:  # type: ignore[no-untyped-def]
    case_id = uuid.uuid4()
    await _publish_taken(kafka.bootstrap_servers, str(case_id), "nurse-early")

    async def parked() -> bool:
        return bool(await worker.rows("SELECT id FROM parked_events WHERE case_id = :c", c=case_id))

    await wait_until(parked)
    intake = worker.app.state.container.intake
    form_case = _case_with_id(case_id, intake.clock())
    async with intake.uow() as uow:
        # What create_case does (submit_form draws a new id: nothing can be parked for it).
        await release_parked(uow, form_case, intake.parking_metrics)
        await save_case(uow, form_case)
        await uow.commit()
    assert await _taken_by(worker, str(case_id)) == "nurse-early"
    assert not await parked()


def _case_with_id(case_id: uuid.UUID, now: datetime) -> Case:
    from careflow.intake.domain.forms import FormPolicy, FormSubmission

    form = FormSubmission(
        kind="service_assessment", language="fi", organisation_id="org-1", phone="+358401234567"
    )
    admission = admit(form, Submitter(uuid.uuid4(), True), FormPolicy(), now.date())
    return Case.submit(form, admission, None, now, case_id=case_id)


async def test_case_events_reach_the_topic_keyed_by_case(api: Api, kafka) -> None:  # type: ignore[no-untyped-def]
    me = resident(f"res-{uuid.uuid4()}")
    case_id = (await api.call("POST", "/forms", me, symptom_form())).json()["case_id"]
    consumer = AIOKafkaConsumer(
        "intake.cases.v1",
        bootstrap_servers=kafka.bootstrap_servers,
        group_id=f"t-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found = None

    async def arrived() -> bool:
        nonlocal found
        batch = await consumer.getmany(timeout_ms=500)
        for records in batch.values():
            for record in records:
                if record.key == case_id.encode():
                    found = record
        return found is not None

    try:
        # 60 s, as the other topic readers here: the group join alone takes seconds on
        # Tansu, and 40 fetches (20 s at most) were the one budget this short.
        await wait_until(arrived, within=60)
        assert found is not None
        headers = dict(found.headers)
        assert headers["ce_type"] == b"careflow.case.submitted.v1"
        assert b"fever" not in found.value
    finally:
        await consumer.stop()


async def _publish(bootstrap: str, topic: str, event) -> None:  # type: ignore[no-untyped-def]
    headers = Envelope(
        id=str(uuid.uuid4()), type=event.event_type, source="/careflow/tests", subject=event.key()
    ).to_headers()
    body = json.dumps(event.model_dump(mode="json")).encode()
    await publish_raw(bootstrap, topic, [(event.key().encode(), body, headers)])


async def _bookings_appear_on_the_case_even_when_they_arrive_first(worker: Api, kafka) -> None:  # type: ignore[no-untyped-def]
    from datetime import timedelta

    from careflow.contracts.bookings import BookingCancelled, BookingConfirmed

    case_id = uuid.uuid4()
    now = datetime.now(UTC)
    common = {"case_id": case_id, "organisation_id": "org-1"}
    await _publish(
        kafka.bootstrap_servers,
        "bookings.appointments.v1",
        BookingConfirmed(
            booking_id="b-kept",
            starts_at=now + timedelta(days=2),
            ends_at=now + timedelta(days=2, hours=1),
            confirmed_at=now,
            **common,
        ),
    )
    await _publish(
        kafka.bootstrap_servers,
        "bookings.appointments.v1",
        BookingCancelled(booking_id="b-gone", cancelled_by="resident", cancelled_at=now, **common),
    )
    intake = worker.app.state.container.intake
    async with intake.uow() as uow:
        await save_case(uow, _case_with_id(case_id, intake.clock()))
        await uow.commit()

    async def statuses() -> dict[str, str] | None:
        page = (await worker.call("GET", f"/cases/{case_id}", professional())).json()
        found = {b["id"]: b["status"] for b in page["bookings"]}
        return found if len(found) == 2 else None

    assert await wait_until(statuses) == {"b-kept": "confirmed", "b-gone": "cancelled"}


async def test_work_queue_and_booking_events_through_the_broker(worker: Api, kafka) -> None:  # type: ignore[no-untyped-def]
    """One service instance for these scenarios (each starts a consumer group, which
    takes seconds); events of other tests' cases, read from the topics' start, are parked."""
    await _a_taken_case_can_no_longer_be_closed_by_the_resident(worker, kafka)
    await _taken_for_a_case_not_yet_here_is_parked_until_it_applies(worker, kafka)
    await _bookings_appear_on_the_case_even_when_they_arrive_first(worker, kafka)
