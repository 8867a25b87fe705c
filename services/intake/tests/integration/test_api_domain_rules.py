"""Domain rules through the API: computed urgency, P0 at once, real consents, closed for good."""

from __future__ import annotations

import uuid
from typing import Any

from .conftest import NO_RED_FLAGS, Api, professional, resident, symptom_form

CHEST_PAIN = {**NO_RED_FLAGS, "chest_pain": True}


async def _submitted_event(api: Api, case_id: str) -> dict[str, Any]:
    [(payload,)] = await api.rows(
        "SELECT payload FROM outbox WHERE key = :k AND event_type = 'careflow.case.submitted.v1'",
        k=case_id,
    )
    return payload  # type: ignore[no-any-return]


async def test_the_urgency_comes_from_the_answers_not_from_the_client(api: Api) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    response = await api.call("POST", "/forms", me, symptom_form(urgency="P1"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["urgency"], body["urgency_rules"]) == ("P3", "symptoms-1")
    assert body["call_emergency_number"] is False
    event = await _submitted_event(api, body["case_id"])
    assert (event["urgency"], event["urgency_rules"]) == ("P3", "symptoms-1")
    page = (await api.call("GET", f"/me/cases/{body['case_id']}", me)).json()
    assert (page["urgency"], page["urgency_rules"]) == ("P3", "symptoms-1")
    assert page["urgency_basis"] == ["fever"]


async def test_a_symptom_assessment_without_red_flag_answers_is_refused(api: Api) -> None:
    response = await api.call(
        "POST", "/forms", resident("r-noflags"), symptom_form(answers={"fever": True})
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await api.rows("SELECT id FROM cases") == []


async def test_p0_tells_the_resident_at_once_and_the_event_says_so(api: Api) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    response = await api.call("POST", "/forms", me, symptom_form(answers=CHEST_PAIN))
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["call_emergency_number"], body["urgency"]) == (True, "P0")
    event = await _submitted_event(api, body["case_id"])
    assert (event["urgency"], event["call_emergency_number"]) == ("P0", True)
    assert "chest" not in str(event)
    for reader, path in ((me, "/me/cases"), (professional(), "/cases")):
        page = (await api.call("GET", f"{path}/{body['case_id']}", reader)).json()
        assert page["call_emergency_number"] is True
        assert page["urgency_basis"] == ["red_flag.chest_pain"]
    [listed] = (await api.call("GET", "/me/cases", me)).json()["items"]
    assert listed["urgency"] == "P0"


async def test_p0_without_a_phone_number_is_still_told_to_call_112(api: Api) -> None:
    response = await api.call(
        "POST", "/forms", resident("r-p0-nophone"), symptom_form(answers=CHEST_PAIN, phone=None)
    )
    assert response.status_code == 201, response.text
    assert response.json()["call_emergency_number"] is True


async def _contact(api: Api, me: Any, **changes: Any) -> dict[str, Any]:
    body = {
        "communication_language": "fi",
        "email": "maija@example.org",
        "phone": "+358401234567",
        "email_notifications": True,
        "sms_notifications": False,
        "phone_contact_allowed": True,
    } | changes
    response = await api.call("PUT", "/me/contact", me, body)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


async def _created_for(api: Api, subject: str) -> str:
    created = await api.call(
        "POST",
        "/cases",
        professional(),
        {"resident_subject": subject, "kind": "health_examination", "language": "fi"},
    )
    assert created.status_code == 201, created.text
    return created.json()["id"]  # type: ignore[no-any-return]


async def test_a_professional_created_case_shows_the_residents_real_permissions(api: Api) -> None:
    subject = f"res-{uuid.uuid4()}"
    me = resident(subject)
    await _contact(api, me)
    case_id = await _created_for(api, subject)
    shown = (await api.call("GET", f"/cases/{case_id}", professional())).json()
    info = shown["customer_information"]
    assert (info["phone_contact"], info["service_consents"]) == ("enabled", "given")
    assert (info["email_notifications"], info["sms_notifications"]) == (True, False)
    mine = (await api.call("GET", f"/me/cases/{case_id}", me)).json()
    assert mine["customer_information"]["phone_contact"] == "enabled"

    await api.call("POST", "/me/consents/withdrawal", me)
    info = (await api.call("GET", f"/cases/{case_id}", professional())).json()[
        "customer_information"
    ]
    assert (info["phone_contact"], info["service_consents"]) == ("not_enabled", "withdrawn")


async def test_a_resident_who_withdrew_consents_gives_them_again(api: Api) -> None:
    subject = f"res-{uuid.uuid4()}"
    me = resident(subject)
    await _contact(api, me)
    await api.call("POST", "/me/consents/withdrawal", me)
    given = await api.call("POST", "/me/consents/grant", me)
    assert given.status_code == 200, given.text
    assert given.json()["service_consents"] is True
    assert given.json()["phone_contact_allowed"] is False  # enabled again only explicitly
    types = [r[0] for r in await api.rows("SELECT event_type FROM outbox ORDER BY id")]
    assert types[-2:] == [
        "careflow.resident.service_consents_given.v1",
        "careflow.resident.contact_updated.v1",
    ]
    assert (await _contact(api, me))["phone_contact_allowed"] is True
    case_id = await _created_for(api, subject)
    info = (await api.call("GET", f"/cases/{case_id}", professional())).json()[
        "customer_information"
    ]
    assert (info["phone_contact"], info["service_consents"]) == ("enabled", "given")


async def test_after_closing_without_consent_the_resident_can_neither_accept_nor_answer(
    api: Api,
) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    case_id = (await api.call("POST", "/forms", me, symptom_form())).json()["case_id"]
    nurse = professional()
    proposal = (await api.call("POST", f"/cases/{case_id}/closing-proposals", nurse)).json()["id"]
    closed = await api.call("POST", f"/cases/{case_id}/closure", nurse, {"reason": "Done."})
    assert closed.status_code == 204
    base = f"/me/cases/{case_id}/closing-proposals/{proposal}"
    for path, body in (
        (f"{base}/acceptance", None),
        (f"{base}/objection", {}),
        (f"/me/cases/{case_id}/goals", {"text": "My goal"}),
    ):
        refused = await api.call("POST", path, me, body)
        assert refused.status_code == 409, path
        assert "without consent" in refused.json()["detail"]
    page = (await api.call("GET", f"/me/cases/{case_id}", me)).json()
    assert page["closing"]["resident_may_answer"] is False
    assert page["closing"]["closed"]["reason"] == "professional_without_consent"
    assert page["closing"]["closed"]["statement"] == "Done."
    [listed] = (await api.call("GET", "/me/cases", me)).json()["items"]
    assert listed["closing_reason"] == "professional_without_consent"
