"""Unknown residents are parked, then delivered or suppressed; bad events go to the DLQ."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer

from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import NOTIFICATION_REQUESTS_TOPIC
from careflow.contracts.residents import ServiceConsentsWithdrawn
from careflow.contracts.workqueue import QueueItemMarkedIncomplete
from careflow.shared.messaging.dead_letters import H_CODE, H_REASON, header
from careflow.testing.probe_service import publish_raw, wait_until

from .conftest import IDS, SUBJECTS, resident_events
from .test_delivery import addresses, both_sent, task


async def test_a_notification_for_an_unknown_resident_waits_for_the_contact_data(service):
    mail, phone = addresses()
    subject = f"sub-{uuid.uuid4()}"
    resident_id = IDS.of(subject)
    SUBJECTS[resident_id] = subject
    marked = QueueItemMarkedIncomplete(
        case_id=uuid.uuid4(),
        resident_id=resident_id,
        marked_by="pro-1",
        marked_at=datetime.now(UTC),
    )
    [event_id] = await service.publish(marked)
    await service.wait_for_inbox(event_id)
    assert await service.statuses(resident_id) == {}  # parked: nothing decided yet

    await service.publish(*resident_events(resident_id, language="en", email=mail, phone=phone))
    await service.wait_for_statuses(resident_id, both_sent)
    [sms] = service.sms.to(phone)
    assert sms["text"] == (
        "CareFlow: The information you sent needs to be completed. "
        f"Log in: https://careflow.local/cases/{marked.case_id}"
    )


async def test_a_parked_notification_is_suppressed_with_its_reason_after_the_timeout(
    start_service,
):
    async with start_service(park_timeout_seconds=1.0, park_check_seconds=0.3) as service:
        resident_id = uuid.uuid4()
        await service.publish(task(resident_id))
        found = await service.wait_for_statuses(resident_id, lambda f: len(f) == 2)
        assert found == {
            "email": ("suppressed", "unknown_resident"),
            "sms": ("suppressed", "unknown_resident"),
        }


async def test_withdrawn_service_consents_suppress_every_channel_with_the_reason(service):
    mail, phone = addresses()
    resident_id = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    [withdrawn] = await service.publish(
        ServiceConsentsWithdrawn(resident_id=resident_id, withdrawn_at=datetime.now(UTC))
    )
    await service.wait_for_inbox(withdrawn)
    await service.publish(task(resident_id))
    found = await service.wait_for_statuses(resident_id, lambda f: len(f) == 2)
    assert found == {
        "email": ("suppressed", "service_consents_withdrawn"),
        "sms": ("suppressed", "service_consents_withdrawn"),
    }
    assert service.smtp.to(mail) == []
    assert service.sms.to(phone) == []


async def test_a_bad_request_goes_to_the_dead_letter_topic_with_the_reason(service):
    notification_id = str(uuid.uuid4())
    body = {
        "notification_id": notification_id,
        "requested_by": "reminders",
        "requested_at": datetime.now(UTC).isoformat(),
        "resident_id": str(uuid.uuid4()),
        "purpose": "lab_results_ready",  # not a purpose: the template would be free text
        "channels": [],
        "link_target": "front_page",
    }
    event_id = str(uuid.uuid4())
    headers = Envelope(
        id=event_id,
        type="careflow.notification.requested.v1",
        source="/careflow/tests",
        subject=notification_id,
    ).to_headers()
    await publish_raw(
        service.bootstrap,
        NOTIFICATION_REQUESTS_TOPIC.name,
        [(notification_id.encode(), json.dumps(body).encode(), headers)],
    )
    dead = await _dead_letter(service.bootstrap, event_id)
    assert header(dead.headers, H_CODE) == "schema_violation"
    reason = header(dead.headers, H_REASON) or ""
    assert "purpose" in reason
    assert "channels" in reason


async def _dead_letter(bootstrap: str, event_id: str):  # type: ignore[no-untyped-def]
    consumer = AIOKafkaConsumer(
        NOTIFICATION_REQUESTS_TOPIC.dlq,
        bootstrap_servers=bootstrap,
        group_id=f"dlq-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list = []  # type: ignore[type-arg]

    async def arrived() -> bool:
        batch = await consumer.getmany(timeout_ms=500)
        for records in batch.values():
            found.extend(r for r in records if header(r.headers, "ce_id") == event_id)
        return bool(found)

    try:
        await wait_until(arrived, within=60)
    finally:
        await consumer.stop()
    return found[0]
