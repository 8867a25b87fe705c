"""Take (one winner), transfer, urgency change and incomplete through the HTTP API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from careflow.contracts.cases import QuestionnaireFilled
from careflow.testing.probe_service import wait_until

from .conftest import submitted


async def _queued(service, **overrides):  # type: ignore[no-untyped-def]
    event = submitted(service.org, **overrides)
    await service.publish(event)
    await service.wait_for_item(event.case_id)
    return event


async def test_two_professionals_take_at_once_and_exactly_one_wins(service):
    event = await _queued(service)
    url = f"/queue/items/{event.case_id}/take"
    a, b = await asyncio.gather(
        service.client.post(url, headers=service.token("pro-a")),
        service.client.post(url, headers=service.token("pro-b")),
    )
    assert sorted([a.status_code, b.status_code]) == [200, 409]
    loser = a if a.status_code == 409 else b
    assert loser.headers["content-type"] == "application/problem+json"
    winner = (a if a.status_code == 200 else b).json()["assignee"]
    [row] = await service.items_of(event.case_id)
    assert row.assignee == winner
    assert (await service.outbox_types(event.case_id)).count("careflow.queue_item.taken.v1") == 1


async def test_take_moves_the_task_to_my_tasks_and_the_group_shows_who(service):
    event = await _queued(service)
    me = service.token("pro-a")
    assert (await service.client.post(f"/queue/items/{event.case_id}/take", headers=me)).is_success
    mine = (await service.client.get("/queue/mine", headers=me)).json()["items"]
    assert [i["case_id"] for i in mine] == [str(event.case_id)]
    free = (await service.client.get("/queue?state=free", headers=me)).json()["items"]
    assert free == []
    group = (await service.client.get("/queue/groups/nurses", headers=me)).json()["items"]
    assert group[0]["assignee"] == "pro-a"


async def test_transfer_urgency_and_incomplete_emit_queue_events(service):
    event = await _queued(service, urgency="P4")
    me = service.token("pro-a")
    base = f"/queue/items/{event.case_id}"
    assert (await service.client.post(f"{base}/take", headers=me)).status_code == 200
    changed = await service.client.post(
        f"{base}/urgency",
        headers=me,
        json={"urgency": "P2", "reason_code": "new_information", "explanation": "Phoned."},
    )
    assert changed.status_code == 200
    body = changed.json()
    assert (body["original_urgency"], body["urgency"]) == ("P4", "P2")
    assert body["urgency_history"][0]["explanation"] == "Phoned."
    assert (await service.client.post(f"{base}/incomplete", headers=me)).status_code == 200
    default = (await service.client.get("/queue/mine", headers=me)).json()["items"]
    assert default == []
    waiting = (await service.client.get("/queue/mine?state=incomplete", headers=me)).json()
    assert [i["case_id"] for i in waiting["items"]] == [str(event.case_id)]

    filled = QuestionnaireFilled(
        case_id=event.case_id, resident_id=event.resident_id, filled_at=datetime.now(UTC)
    )
    [filled_id] = await service.publish(filled)
    await service.wait_for_inbox(filled_id)
    transferred = await service.client.post(
        f"{base}/transfer", headers=me, json={"to_group_id": "doctors"}
    )
    assert transferred.status_code == 200
    assert transferred.json()["status"] == "free"
    assert await service.outbox_types(event.case_id) == [
        "careflow.queue_item.added.v1",
        "careflow.queue_item.taken.v1",
        "careflow.queue_item.urgency_changed.v1",
        "careflow.queue_item.marked_incomplete.v1",
        "careflow.queue_item.incomplete_cleared.v1",
        "careflow.queue_item.transferred.v1",
    ]


async def test_queue_events_are_published_on_the_desktop_topic(service):
    event = await _queued(service)
    from sqlalchemy import select

    from careflow.shared.outbox.tables import outbox

    async def published() -> bool:
        rows = await service.sql(
            select(outbox.c.topic, outbox.c.published_at).where(outbox.c.key == str(event.case_id))
        )
        return bool(rows) and all(r.published_at and r.topic == "workqueue.items.v1" for r in rows)

    await wait_until(published, within=30)


async def test_bad_input_gets_problem_details_and_changes_nothing(service):
    event = await _queued(service)
    me = service.token("pro-a")
    base = f"/queue/items/{event.case_id}"
    await service.client.post(f"{base}/take", headers=me)
    before = await service.items_of(event.case_id)
    outbox_before = await service.outbox_types(event.case_id)
    cases = [
        ("post", f"{base}/urgency", {"urgency": "P9", "reason_code": "other", "explanation": "x"}),
        ("post", f"{base}/urgency", {"urgency": "P2", "reason_code": "other", "explanation": " "}),
        ("post", f"{base}/urgency", {"urgency": "P6", "reason_code": "other", "explanation": "x"}),
        ("post", f"{base}/transfer", {"to_group_id": "a", "to_professional_id": "b"}),
        ("post", f"{base}/transfer", {"to_group_id": "bad id with spaces"}),
        ("post", "/queue/items/not-a-uuid/take", None),
        ("get", "/queue?urgency=P42", None),
        ("get", "/queue?limit=1000", None),
    ]
    for method, url, body in cases:
        response = await service.client.request(method, url, headers=me, json=body)
        assert response.status_code == 422, (url, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
    unauthenticated = await service.client.post(f"{base}/incomplete")
    assert unauthenticated.status_code == 401
    assert await service.items_of(event.case_id) == before
    assert await service.outbox_types(event.case_id) == outbox_before


async def test_mark_incomplete_by_someone_else_is_forbidden(service):
    event = await _queued(service)
    base = f"/queue/items/{event.case_id}"
    await service.client.post(f"{base}/take", headers=service.token("pro-a"))
    response = await service.client.post(f"{base}/incomplete", headers=service.token("pro-b"))
    assert response.status_code == 403
    assert response.json()["status"] == 403


async def test_unknown_task_is_404(service):
    response = await service.client.post(
        f"/queue/items/{uuid.uuid4()}/take", headers=service.token("pro-a")
    )
    assert response.status_code == 404
