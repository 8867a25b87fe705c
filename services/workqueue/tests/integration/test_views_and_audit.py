"""Filters, sort, pages; authorisation against the resource; audit of reads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from careflow.contracts.residents import ResidentNameChanged
from careflow.contracts.urgency import DEFAULT_SCALE

from .conftest import submitted


async def _queue(service, *events):  # type: ignore[no-untyped-def]
    await service.publish(*events)
    for event in events:
        await service.wait_for_item(event.case_id)


async def test_the_queue_sorts_by_urgency_then_age_filters_and_pages(service):
    now = datetime.now(UTC)
    old_p3 = submitted(service.org, urgency="P3", submitted_at=now - timedelta(hours=5))
    new_p3 = submitted(service.org, urgency="P3", submitted_at=now - timedelta(minutes=5))
    p1 = submitted(service.org, urgency="P1", language="sv")
    other_kind = submitted(
        service.org, urgency=None, form_kind="service_assessment", group_id="doctors"
    )
    p0 = submitted(service.org, urgency="P0", group_id="doctors")
    await _queue(service, old_p3, new_p3, p1, other_kind, p0)
    me = service.token("pro-a")

    async def ids(url: str) -> list[str]:
        response = await service.client.get(url, headers=me)
        assert response.status_code == 200, response.text
        return [i["case_id"] for i in response.json()["items"]]

    order = [str(e.case_id) for e in (p0, p1, old_p3, new_p3, other_kind)]
    assert await ids("/queue") == order
    # P0 never waits: an emergency record on top of every group queue, not a task.
    assert await ids("/queue/groups/nurses") == [str(p0.case_id), *order[1:4]]
    assert await ids("/queue?state=emergency") == [str(p0.case_id)]
    refused = await service.client.post(f"/queue/items/{p0.case_id}/take", headers=me)
    assert refused.status_code == 409
    opened = await service.client.get(f"/queue/items/{p0.case_id}", headers=me)
    assert (opened.json()["status"], opened.json()["assignee"]) == ("emergency", None)
    assert await ids("/queue?language=sv") == [str(p1.case_id)]
    assert await ids("/queue?form_kind=service_assessment") == [str(other_kind.case_id)]
    assert await ids("/queue?urgency=P3") == order[2:4]
    assert await ids("/queue?min_age_hours=2") == [str(old_p3.case_id)]
    page = (await service.client.get("/queue?limit=2&offset=2", headers=me)).json()
    assert ([i["case_id"] for i in page["items"]], page["total"]) == (order[2:4], 5)


async def test_equal_urgency_and_age_are_ordered_by_case_id_so_pages_are_stable(service):
    # No names known: the case id is the final, unique key, so every read pages the same
    # way and no item repeats or is skipped.
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=2)
    tied = [submitted(service.org, urgency="P2", submitted_at=at) for _ in range(7)]
    urgent = submitted(service.org, urgency="P1", submitted_at=at)
    await _queue(service, *reversed(tied), urgent)
    me = service.token("pro-a")
    expected = [str(urgent.case_id), *sorted(str(e.case_id) for e in tied)]
    assert expected[1:] == [str(c) for c in sorted(e.case_id for e in tied)]  # uuid = text order

    for _read in range(2):
        listed = []
        for offset in (0, 3, 6):
            response = await service.client.get(f"/queue?limit=3&offset={offset}", headers=me)
            assert response.status_code == 200, response.text
            listed += [i["case_id"] for i in response.json()["items"]]
        assert listed == expected


async def test_equal_urgency_and_age_are_ordered_by_the_residents_name_unknown_last(service):
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3)
    virtanen, aalto, unnamed = (
        submitted(service.org, urgency="P2", submitted_at=at) for _ in range(3)
    )
    names = [
        ResidentNameChanged(resident_id=virtanen.resident_id, name="Virtanen", changed_at=at),
        ResidentNameChanged(resident_id=aalto.resident_id, name="Aalto", changed_at=at),
        # An older change arriving late never replaces the newer name.
        ResidentNameChanged(
            resident_id=aalto.resident_id, name="Ylönen", changed_at=at - timedelta(days=1)
        ),
    ]
    for event_id in await service.publish(*names):
        await service.wait_for_inbox(event_id)
    await _queue(service, unnamed, virtanen, aalto)

    response = await service.client.get("/queue", headers=service.token("pro-a"))
    assert response.status_code == 200, response.text
    listed = [i["case_id"] for i in response.json()["items"]]
    assert listed == [str(aalto.case_id), str(virtanen.case_id), str(unnamed.case_id)]
    assert "Aalto" not in response.text  # the name orders the queue, it is not shown


async def test_another_organisations_professional_gets_404_and_sees_nothing(service):
    event = submitted(service.org)
    await _queue(service, event)
    stranger = service.token("pro-x", org="another-org")
    base = f"/queue/items/{event.case_id}"
    assert (await service.client.get(base, headers=stranger)).status_code == 404
    assert (await service.client.post(f"{base}/take", headers=stranger)).status_code == 404
    assert (await service.client.get("/queue", headers=stranger)).json()["items"] == []
    [row] = await service.items_of(event.case_id)
    assert row.assignee is None


async def test_reads_are_audited_as_queue_work_and_shown_to_admins_and_auditors(service):
    event = submitted(service.org)
    await _queue(service, event)
    nurse = service.token("pro-a")
    await service.client.get("/queue", headers=nurse)
    await service.client.get(f"/queue/items/{event.case_id}", headers=nurse)

    assert (await service.client.get("/audit-records", headers=nurse)).status_code == 403
    admin = service.token("boss", roles=("admin",))
    response = await service.client.get(
        "/audit-records", params={"resident_id": str(event.resident_id)}, headers=admin
    )
    assert response.status_code == 200, response.text
    records = response.json()["items"]
    assert [(r["actor"], r["action"], r["purpose"]) for r in records] == [
        ("pro-a", "open_task", "queue_work"),
        ("pro-a", "list_queue", "queue_work"),
    ]
    assert all(r["case_id"] == str(event.case_id) for r in records)
    assert {(r["service"], r["organisation"]) for r in records} == {("workqueue", service.org)}
    assert response.json()["next_cursor"] is None
    auditor = service.token("inspector", roles=("auditor",))
    as_auditor = await service.client.get(
        "/audit-records", params={"case_id": str(event.case_id)}, headers=auditor
    )
    assert as_auditor.json()["items"] == records
    foreign_admin = service.token("boss2", org="another-org", roles=("admin",))
    foreign = await service.client.get(
        "/audit-records", params={"resident_id": str(event.resident_id)}, headers=foreign_admin
    )
    assert foreign.json()["items"] == []


async def test_a_refused_take_writes_no_audit_record(service):
    event = submitted(service.org)
    await _queue(service, event)
    await service.client.post(f"/queue/items/{event.case_id}/take", headers=service.token("a"))
    before = await service.audit_count()
    refused = await service.client.post(
        f"/queue/items/{event.case_id}/take", headers=service.token("b")
    )
    assert refused.status_code == 409
    assert await service.audit_count() == before


async def test_the_urgency_scale_is_served_in_the_contract_scales_shape(service):
    response = await service.client.get("/urgency-scale", headers=service.token("pro-a"))
    assert response.status_code == 200, response.text
    # An organisation without its own scale gets CareFlow's default, as the contract writes it.
    assert response.json() == DEFAULT_SCALE.model_dump(mode="json")
    assert response.json()["levels"][1]["target_response"] == "PT2H"


async def test_auditors_page_the_audit_by_time_range_with_a_cursor(service):
    events = [submitted(service.org) for _ in range(3)]
    await _queue(service, *events)
    before = datetime.now(UTC)
    for event in events:  # three reads, one record each
        opened = await service.client.get(
            f"/queue/items/{event.case_id}", headers=service.token("pro-a")
        )
        assert opened.status_code == 200
    after = datetime.now(UTC) + timedelta(microseconds=1)
    auditor = service.token("inspector", roles=("auditor",))
    window = {"from": before.isoformat(), "to": after.isoformat(), "limit": "2"}

    first = await service.client.get("/audit-records", params=window, headers=auditor)
    assert first.status_code == 200, first.text
    assert len(first.json()["items"]) == 2
    cursor = first.json()["next_cursor"]
    second = await service.client.get(
        "/audit-records", params={**window, "cursor": cursor}, headers=auditor
    )
    assert second.status_code == 200, second.text
    assert second.json()["next_cursor"] is None
    listed = [r["case_id"] for r in first.json()["items"] + second.json()["items"]]
    assert listed == [str(e.case_id) for e in reversed(events)]  # newest first, none twice

    empty = {"from": after.isoformat(), "to": (after + timedelta(hours=1)).isoformat()}
    later = await service.client.get("/audit-records", params=empty, headers=auditor)
    assert later.json() == {"items": [], "next_cursor": None}
