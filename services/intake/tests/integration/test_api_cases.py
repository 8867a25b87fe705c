"""Authorisation against the resource, audit records, sections and closing through the API."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import create_async_engine

from careflow.intake.adapters.tables import bookings
from careflow.intake.application.read_case import MAX_LISTED

from .conftest import Api, professional, resident, symptom_form


async def _submitted(api: Api, subject: str | None = None) -> tuple[str, object]:
    me = resident(subject or f"res-{uuid.uuid4()}")
    response = await api.call("POST", "/forms", me, symptom_form())
    return response.json()["case_id"], me


async def test_a_professional_of_another_organisation_gets_404(api: Api) -> None:
    case_id, _ = await _submitted(api)
    response = await api.call("GET", f"/cases/{case_id}", professional(org="org-2"))
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert await api.rows("SELECT id FROM audit_records") == []


async def test_a_resident_cannot_read_another_residents_case(api: Api) -> None:
    case_id, _ = await _submitted(api)
    response = await api.call("GET", f"/me/cases/{case_id}", resident("someone-else"))
    assert response.status_code == 404


async def test_a_resident_cannot_use_professional_routes(api: Api) -> None:
    case_id, me = await _submitted(api)
    assert (await api.call("GET", f"/cases/{case_id}", me)).status_code == 403


async def test_a_professionals_read_is_audited_and_admins_can_query_it(api: Api) -> None:
    case_id, _ = await _submitted(api)
    nurse = professional("nurse-7")
    page = await api.call("GET", f"/cases/{case_id}", nurse)
    assert page.status_code == 200
    assert page.json()["customer_information"]["phone_contact"] == "enabled"
    [(who, action, resident_id)] = await api.rows(
        "SELECT professional_id, action, resident_id FROM audit_records WHERE case_id = :c",
        c=case_id,
    )
    assert (who, action, str(resident_id)) == ("nurse-7", "read_case", page.json()["resident_id"])
    records = await api.call("GET", f"/audit-records?case_id={case_id}", nurse)
    assert records.status_code == 403
    admin = professional("admin-1", roles=["admin"])
    records = await api.call("GET", f"/audit-records?case_id={case_id}", admin)
    assert [r["actor"] for r in records.json()["items"]] == ["nurse-7"]
    other_admin = professional("admin-2", org="org-2", roles=["admin"])
    elsewhere = await api.call("GET", f"/audit-records?case_id={case_id}", other_admin)
    assert elsewhere.json()["items"] == []


async def test_other_open_cases_of_the_resident_are_listed(api: Api) -> None:
    subject = f"res-{uuid.uuid4()}"
    first, _ = await _submitted(api, subject)
    second, _ = await _submitted(api, subject)
    page = (await api.call("GET", f"/cases/{second}", professional())).json()
    assert [c["id"] for c in page["other_open_cases"]] == [first]
    assert page["other_open_cases_total"] == 1


async def test_the_case_page_lists_only_the_newest_other_open_cases_with_their_count(
    api: Api,
) -> None:
    subject = f"res-{uuid.uuid4()}"
    others = []
    for _ in range(MAX_LISTED + 1):
        others.append((await _submitted(api, subject))[0])
        api.clock.advance(minutes=1)
    case_id, _ = await _submitted(api, subject)

    page = (await api.call("GET", f"/cases/{case_id}", professional())).json()

    assert [c["id"] for c in page["other_open_cases"]] == others[::-1][:MAX_LISTED]
    assert page["other_open_cases_total"] == MAX_LISTED + 1


async def test_the_case_page_lists_only_the_latest_starting_bookings_with_their_count(
    api: Api,
) -> None:
    case_id, me = await _submitted(api)
    start = datetime(2027, 1, 4, 9, tzinfo=UTC)
    rows = [
        {
            "id": f"b-{uuid.uuid4()}",
            "case_id": uuid.UUID(case_id),
            "organisation_id": "org-1",
            "status": "confirmed",
            "starts_at": start + timedelta(days=day),
        }
        for day in range(MAX_LISTED + 2)
    ]
    rows.append({**rows[0], "id": "elsewhere", "organisation_id": "org-2"})  # not this case's
    engine = create_async_engine(api.db.owner_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(bookings.insert(), rows)
    finally:
        await engine.dispose()

    for path, who in ((f"/me/cases/{case_id}", me), (f"/cases/{case_id}", professional())):
        page = (await api.call("GET", path, who)).json()

        assert [b["id"] for b in page["bookings"]] == [r["id"] for r in rows[2:-1]]
        assert page["bookings_total"] == MAX_LISTED + 2


async def test_the_resident_closes_before_taken_and_professionals_can_no_longer_open_it(
    api: Api,
) -> None:
    case_id, me = await _submitted(api)
    assert (await api.call("POST", f"/me/cases/{case_id}/closure", me)).status_code == 204
    assert (await api.call("GET", f"/cases/{case_id}", professional())).status_code == 404
    [(payload,)] = await api.rows(
        "SELECT payload FROM outbox WHERE key = :k AND event_type = 'careflow.case.closed.v1'",
        k=case_id,
    )
    assert payload["reason"] == "resident_before_taken"


async def test_a_professional_proposal_the_resident_objects_to_keeps_the_case_open(
    api: Api,
) -> None:
    case_id, me = await _submitted(api)
    nurse = professional()
    proposal = (await api.call("POST", f"/cases/{case_id}/closing-proposals", nurse)).json()["id"]
    api.clock.advance(hours=71)
    objection = await api.call(
        "POST", f"/me/cases/{case_id}/closing-proposals/{proposal}/objection", me, {}
    )
    assert objection.status_code == 204
    types = [
        r[0]
        for r in await api.rows(
            "SELECT event_type FROM outbox WHERE key = :k ORDER BY id", k=case_id
        )
    ]
    assert types[-2:] == ["careflow.case.closing_proposed.v1", "careflow.case.closing_objected.v1"]


async def test_a_professional_rejects_the_residents_proposal(api: Api) -> None:
    case_id, me = await _submitted(api)
    proposal = (await api.call("POST", f"/me/cases/{case_id}/closing-proposals", me)).json()["id"]
    response = await api.call(
        "POST", f"/cases/{case_id}/closing-proposals/{proposal}/rejection", professional()
    )
    assert response.status_code == 204
    page = (await api.call("GET", f"/me/cases/{case_id}", me)).json()
    assert page["closing"]["pending_proposal"] is None
    assert page["status"] == "open"


async def test_closing_without_consent_needs_a_reason_and_then_the_resident_cannot_answer(
    api: Api,
) -> None:
    case_id, me = await _submitted(api)
    nurse = professional()
    proposal = (await api.call("POST", f"/cases/{case_id}/closing-proposals", nurse)).json()["id"]
    bad = await api.call("POST", f"/cases/{case_id}/closure", nurse, {"reason": "  "})
    assert bad.status_code == 422
    ok = await api.call(
        "POST", f"/cases/{case_id}/closure", nurse, {"reason": "Moved to hospital."}
    )
    assert ok.status_code == 204
    late = await api.call(
        "POST", f"/me/cases/{case_id}/closing-proposals/{proposal}/acceptance", me
    )
    assert late.status_code == 409


async def test_sections_goals_tasks_coaching_and_summary(api: Api) -> None:
    case_id, me = await _submitted(api)
    nurse = professional()
    goal = await api.call("POST", f"/cases/{case_id}/goals", nurse, {"text": "Drink 2 l a day"})
    assert goal.status_code == 201
    task = await api.call(
        "POST",
        f"/cases/{case_id}/tasks",
        nurse,
        {"kind": "action_instruction", "instruction": "See https://example.org/water"},
    )
    assert task.status_code == 201
    bad_task = await api.call(
        "POST",
        f"/cases/{case_id}/tasks",
        nurse,
        {"kind": "action_instruction", "instruction": "Click javascript:alert(1)"},
    )
    assert bad_task.status_code == 422
    assert (await api.call("POST", f"/cases/{case_id}/coachings", nurse)).status_code == 201
    summary = await api.call("PUT", f"/cases/{case_id}/summary", nurse, {"text": "Improving."})
    assert summary.status_code == 204
    page = (await api.call("GET", f"/me/cases/{case_id}", me)).json()
    assert [g["text"] for g in page["goals"]] == ["Drink 2 l a day"]
    assert page["tasks"][0]["language"] == "sv"
    assert page["summary"]["professional_summary"] == "Improving."
    assert len(page["summary"]["latest_events"]) == 3
    [(payload,)] = await api.rows(
        "SELECT payload FROM outbox WHERE event_type = 'careflow.case.goal_set.v1' AND key = :k",
        k=case_id,
    )
    assert "Drink" not in str(payload)


async def test_withdrawing_consents_ends_phone_permission(api: Api) -> None:
    case_id, me = await _submitted(api)
    withdrawn = await api.call("POST", "/me/consents/withdrawal", me)
    assert withdrawn.json()["phone_contact_allowed"] is False
    page = (await api.call("GET", f"/cases/{case_id}", professional())).json()
    assert page["customer_information"]["phone_contact"] == "not_enabled"
    types = {r[0] for r in await api.rows("SELECT event_type FROM outbox")}
    assert "careflow.resident.service_consents_withdrawn.v1" in types


async def test_a_professional_creates_a_case_for_a_resident_who_then_sees_it(api: Api) -> None:
    subject = f"res-{uuid.uuid4()}"
    created = await api.call(
        "POST",
        "/cases",
        professional(),
        {"resident_subject": subject, "kind": "wellbeing_check", "language": "en"},
    )
    assert created.status_code == 201
    case_id = created.json()["id"]
    assert (await api.call("GET", f"/me/cases/{case_id}", resident(subject))).status_code == 200
    [(event_type,)] = await api.rows("SELECT event_type FROM outbox WHERE key = :k", k=case_id)
    assert event_type == "careflow.case.created_by_professional.v1"
