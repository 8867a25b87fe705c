"""Clinics with their own case-handling system, over the real broker and PostgreSQL: the
case reaches the system exactly once though it fails twice first, is never handled in
the staff view, and its status comes back."""

from __future__ import annotations

import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from sqlalchemy import select

from careflow.complaints.adapters.tables import deliveries
from careflow.contracts.envelope import Envelope
from careflow.contracts.registry import COMPLAINTS_CASES
from careflow.shared.messaging.dead_letters import H_CODE, H_REASON, header
from careflow.testing.probe_service import publish_raw, wait_until

from .conftest import IDS, Service, hsa
from .fakes import CaseSystem
from .test_onboarding import complaint

REGION = "50"


@pytest.fixture(scope="module")
async def clinic_system() -> AsyncIterator[CaseSystem]:
    system = CaseSystem()
    await system.start()
    yield system
    await system.stop()


async def own_system_clinic(service: Service, system: CaseSystem, system_id: str) -> str:
    if not getattr(service, "board_50", None):
        await service.open_region(REGION, hsa("P"))
        service.board_50 = True  # type: ignore[attr-defined]
    clinic = hsa()
    await service.add_clinic(REGION, clinic)
    catalogue = service.pro("tak-1", "platform", "tak", "addressing_admin")
    r = await service.client.put(
        f"/addressing/clinics/{clinic}",
        json={"url": f"{system.url}/cases", "system_id": system_id},
        headers=catalogue,
    )
    assert r.status_code == 200, r.text
    return clinic


async def records(bootstrap: str, topic: str, key: str, want: int) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    """(ce_type, body) of the records with `key` on `topic`, once `want` have arrived."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"t-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[tuple[str, dict]] = []  # type: ignore[type-arg]
    try:
        for _ in range(120):
            batch = await consumer.getmany(timeout_ms=500)
            for partition in batch.values():
                for record in partition:
                    if record.key == key.encode():
                        headers = dict(record.headers)
                        found.append((headers["ce_type"].decode(), json.loads(record.value)))
            if len(found) >= want:
                break
    finally:
        await consumer.stop()
    return found


async def test_a_case_reaches_the_own_system_exactly_once_after_two_500s_and_its_status_comes_back(
    service: Service, clinic_system: CaseSystem
) -> None:
    clinic = await own_system_clinic(service, clinic_system, "clinic-system-1")
    clinic_system.failures = 2
    sent = await service.client.post(
        "/complaints",
        json=complaint(REGION, clinic, answer_channel="letter"),
        headers=service.resident("resident-own"),
    )
    assert sent.status_code == 201
    case_id = sent.json()["case_id"]
    assert sent.json()["handled_in"] == "own_system"

    await wait_until(lambda: case_id in clinic_system.kept, within=30)
    assert clinic_system.attempts.count(case_id) == 3
    assert list(clinic_system.kept).count(case_id) == 1
    handed = clinic_system.kept[case_id].body
    assert handed["description"] == "Jag fick vänta i sex timmar."
    assert handed["status_path"] == f"/integration/cases/{case_id}/status"

    # Not handled in the staff view: not listed, and no reply there.
    receiver = service.pro("rec-own", REGION, clinic, "case_receiver")
    assert case_id not in str((await service.client.get("/staff/cases", headers=receiver)).json())
    refused = await service.client.post(
        f"/staff/cases/{case_id}/replies", json={"text": "x", "final": False}, headers=receiver
    )
    assert refused.status_code == 409
    assert "own case-handling system" in refused.json()["detail"]

    stranger = await service.client.post(
        f"/integration/cases/{case_id}/status",
        json={"status": "answered"},
        headers=service.system("another-system"),
    )
    assert stranger.status_code == 404
    system = service.system("clinic-system-1")
    received = await service.client.post(
        f"/integration/cases/{case_id}/status", json={"status": "received"}, headers=system
    )
    assert received.status_code == 200
    assert received.json()["external_status"] == "received"
    answered = await service.client.post(
        f"/integration/cases/{case_id}/status", json={"status": "answered"}, headers=system
    )
    assert answered.json()["status"] == "answered"
    again = await service.client.post(
        f"/integration/cases/{case_id}/status", json={"status": "answered"}, headers=system
    )
    assert again.status_code == 200
    mine = (
        await service.client.get("/me/complaints", headers=service.resident("resident-own"))
    ).json()
    assert [c["status"] for c in mine["items"]] == ["answered"]

    # Over the broker: submitted, delivered after three attempts, answered once.
    events = await records(service.bootstrap, "complaints.cases.v1", case_id, want=3)
    assert [t for t, _ in events] == [
        "careflow.complaint.submitted.v1",
        "careflow.complaint.delivered.v1",
        "careflow.complaint.answered.v1",
    ]
    assert events[1][1]["attempts"] == 3
    assert "Jag fick" not in json.dumps([body for _, body in events])
    await wait_until(lambda: case_id in clinic_system.kept, within=1)
    assert clinic_system.attempts.count(case_id) == 3

    resident_id = str(IDS.of("resident-own"))
    notifications = await service.outbox_events("careflow.notification.requested.v1")
    asked = [n for n in notifications if n["resident_id"] == resident_id]
    assert len(asked) == 1
    published = await records(
        service.bootstrap, "notification.requests.v1", asked[0]["notification_id"], want=1
    )
    assert [t for t, _ in published] == ["careflow.notification.requested.v1"]


async def test_a_board_case_retargeted_to_a_clinic_with_its_own_system_is_delivered_there(
    service: Service, clinic_system: CaseSystem
) -> None:
    clinic = await own_system_clinic(service, clinic_system, "clinic-system-2")
    board = (await service.client.get("/regions/50", headers=service.resident("r"))).json()
    board_receiver = service.pro(
        "board-50", REGION, board["patient_board"]["hsa_id"], "case_receiver"
    )
    sent = await service.client.post(
        "/complaints",
        json=complaint(REGION, unknown_clinic="Mottagningen på andra våningen"),
        headers=service.resident("resident-own-2"),
    )
    case_id = sent.json()["case_id"]
    moved = await service.client.post(
        f"/staff/cases/{case_id}/target", json={"clinic_hsa_id": clinic}, headers=board_receiver
    )
    assert moved.json()["handled_in"] == "own_system"
    await wait_until(lambda: case_id in clinic_system.kept, within=30)
    assert clinic_system.attempts.count(case_id) == 1


async def test_a_bad_routing_event_goes_to_the_dead_letter_topic_with_the_reason(
    service: Service,
) -> None:
    case_id = str(uuid.uuid4())
    body = {
        "case_id": case_id,
        "region_code": "5",  # not a region code
        "kind": "complaint",
        "place_hsa_id": hsa(),
        "place_kind": "clinic",
        "handled_in": "own_system",
        "anonymous": False,
        "answer_wanted": True,
        "due_at": datetime.now(UTC).isoformat(),
        "submitted_at": datetime.now(UTC).isoformat(),
    }
    event_id = str(uuid.uuid4())
    headers = Envelope(
        id=event_id,
        type="careflow.complaint.submitted.v1",
        source="/careflow/tests",
        subject=case_id,
    ).to_headers()
    await publish_raw(
        service.bootstrap,
        COMPLAINTS_CASES.name,
        [(case_id.encode(), json.dumps(body).encode(), headers)],
    )
    consumer = AIOKafkaConsumer(
        COMPLAINTS_CASES.dlq,
        bootstrap_servers=service.bootstrap,
        group_id=f"dlq-reader-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: list[Any] = []

    async def arrived() -> bool:
        batch = await consumer.getmany(timeout_ms=500)
        for records in batch.values():
            found.extend(r for r in records if header(r.headers, "ce_id") == event_id)
        return bool(found)

    try:
        await wait_until(arrived, within=60)
    finally:
        await consumer.stop()
    assert header(found[0].headers, H_CODE) == "schema_violation"
    assert "region_code" in (header(found[0].headers, H_REASON) or "")
    assert (
        await service.sql(select(deliveries).where(deliveries.c.case_id == uuid.UUID(case_id)))
        == []
    )
