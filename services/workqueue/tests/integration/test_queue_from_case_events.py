"""The queue is built from intake's case events by the real consumer."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from careflow.contracts.cases import CaseClosed, ClosingProposed
from careflow.testing.probe_service import wait_until
from careflow.workqueue.adapters.tables import parked_events

from .conftest import submitted


async def test_a_submitted_case_appears_in_its_group_queue_with_its_urgency(service):
    event = submitted(service.org, urgency="P2", group_id="nurses")
    await service.publish(event)
    await service.wait_for_item(event.case_id)

    page = await service.client.get("/queue/groups/nurses", headers=service.token("pro-a"))
    assert page.status_code == 200
    [item] = page.json()["items"]
    assert item["case_id"] == str(event.case_id)
    assert (item["urgency"], item["original_urgency"], item["status"]) == ("P2", "P2", "free")
    other = await service.client.get("/queue/groups/doctors", headers=service.token("pro-a"))
    assert other.json()["items"] == []
    assert await service.outbox_types(event.case_id) == ["careflow.queue_item.added.v1"]


async def test_the_same_case_submitted_redelivered_gives_one_item(service):
    event = submitted(service.org)
    event_id = str(uuid.uuid4())
    await service.publish(event, event, event_id=event_id)  # redelivery: same event id
    [republished] = await service.publish(event)  # a republish under a new event id
    # One key, one partition: once the last one is in the inbox, all three were handled.
    await service.wait_for_inbox(republished)

    assert len(await service.items_of(event.case_id)) == 1
    assert await service.outbox_types(event.case_id) == ["careflow.queue_item.added.v1"]


async def test_a_case_closed_before_taken_never_shows(service):
    event = submitted(service.org)
    closed = CaseClosed(
        case_id=event.case_id,
        resident_id=event.resident_id,
        reason="resident_before_taken",
        closed_by="resident",
        closed_at=datetime.now(UTC),
    )
    await service.publish(event, closed)
    await wait_until(
        lambda: _status_is(service, event.case_id, "removed"),
        within=30,
    )
    headers = service.token("pro-a")
    for path in ("/queue", "/queue/closed", "/queue?state=free&state=taken&state=incomplete"):
        assert (await service.client.get(path, headers=headers)).json()["items"] == []
    opened = await service.client.get(f"/queue/items/{event.case_id}", headers=headers)
    assert opened.status_code == 404
    assert await service.outbox_types(event.case_id) == [
        "careflow.queue_item.added.v1",
        "careflow.queue_item.removed.v1",
    ]


async def _status_is(service, case_id, status: str) -> bool:  # type: ignore[no-untyped-def]
    rows = await service.items_of(case_id)
    return bool(rows) and rows[0].status == status


async def test_an_event_for_an_unknown_case_is_kept_and_applied_when_the_case_arrives(service):
    event = submitted(service.org)
    proposal = ClosingProposed(
        case_id=event.case_id,
        resident_id=event.resident_id,
        proposal_id=uuid.uuid4(),
        proposed_by="resident",
        proposed_at=datetime.now(UTC),
    )
    await service.publish(proposal)  # overtook its CaseSubmitted
    await service.publish(event)
    await service.wait_for_item(event.case_id)

    rows = await service.items_of(event.case_id)
    assert rows[0].resident_proposed_closing is True
    # Applied, so no longer kept: removed with the item's insert.
    parked = select(parked_events).where(parked_events.c.case_id == event.case_id)
    assert await service.sql(parked) == []


async def test_a_never_taken_case_closed_by_accepting_a_proposal_is_in_the_closed_queue(service):
    event = submitted(service.org)
    now = datetime.now(UTC)
    proposal = ClosingProposed(
        case_id=event.case_id,
        resident_id=event.resident_id,
        proposal_id=uuid.uuid4(),
        proposed_by="professional",
        professional_id="pro-a",
        proposed_at=now,
        objection_deadline=now + timedelta(hours=72),
    )
    accepted = CaseClosed(
        case_id=event.case_id,
        resident_id=event.resident_id,
        reason="resident_accepted",
        closed_by="resident",
        proposal_id=proposal.proposal_id,
        closed_at=now,
    )
    await service.publish(event, proposal, accepted)
    await wait_until(lambda: _status_is(service, event.case_id, "closed"), within=30)

    closed_queue = await service.client.get("/queue/closed", headers=service.token("pro-b"))
    assert [i["case_id"] for i in closed_queue.json()["items"]] == [str(event.case_id)]
    assert await service.outbox_types(event.case_id) == [
        "careflow.queue_item.added.v1",
        "careflow.queue_item.closed.v1",
    ]
