"""Submitting forms through the API: cases, private records, outbox events, bad input."""

from __future__ import annotations

import uuid

from .conftest import FEVER, Api, anonymous, professional, resident, symptom_form


async def test_a_submitted_form_becomes_a_case_with_a_case_submitted_event(api: Api) -> None:
    me = resident(f"res-{uuid.uuid4()}")
    response = await api.call("POST", "/forms", me, symptom_form())
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    [(event_type, payload)] = await api.rows(
        "SELECT event_type, payload FROM outbox WHERE key = :k AND topic = 'intake.cases.v1'",
        k=case_id,
    )
    assert event_type == "careflow.case.submitted.v1"
    assert payload["language"] == "sv"
    assert payload["urgency"] == "P3"
    assert payload["phone_contact_allowed"] is True
    # Events carry no form answers.
    assert "fever" not in str(payload)
    page = (await api.call("GET", f"/me/cases/{case_id}", me)).json()
    assert page["summary"]["results"] == FEVER
    assert page["language"] == "sv"


async def test_a_missing_phone_number_is_a_problem_and_changes_nothing(api: Api) -> None:
    response = await api.call("POST", "/forms", resident("r-nophone"), symptom_form(phone=None))
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert await api.rows("SELECT id FROM cases") == []
    assert await api.rows("SELECT id FROM outbox") == []


async def test_a_malformed_body_is_a_problem_that_does_not_echo_input(api: Api) -> None:
    response = await api.call(
        "POST", "/forms", resident("r-bad"), symptom_form(kind="x", secret_field="chest pain")
    )
    assert response.status_code == 422
    assert "chest pain" not in response.text
    assert await api.rows("SELECT id FROM cases") == []


async def test_without_a_token_nothing_is_accepted(api: Api) -> None:
    response = await api.call("POST", "/forms", None, symptom_form())
    assert response.status_code == 401
    assert await api.rows("SELECT id FROM cases") == []


async def test_a_professional_token_submits_no_form(api: Api) -> None:
    response = await api.call("POST", "/forms", professional(), symptom_form())
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert await api.rows("SELECT id FROM cases") == []


async def test_an_anonymous_pre_information_form_gives_no_case_access(api: Api) -> None:
    form = {
        "kind": "pre_information",
        "language": "fi",
        "organisation_id": "org-1",
        "form_id": "checkup-basic",
    }
    response = await api.call("POST", "/forms", anonymous(), form)
    assert response.status_code == 201
    assert response.json()["case_id"] is None
    [(payload,)] = await api.rows("SELECT payload FROM outbox")
    assert payload["identification"] == "anonymous"
    assert (await api.call("GET", "/me/cases", anonymous())).status_code == 403


async def test_an_anonymous_symptom_assessment_is_refused(api: Api) -> None:
    response = await api.call("POST", "/forms", anonymous(), symptom_form(phone=None))
    assert response.status_code == 403
    assert await api.rows("SELECT id FROM cases") == []


async def test_a_form_for_myself_is_private_and_never_published(api: Api) -> None:
    me = resident("r-private")
    response = await api.call("POST", "/forms", me, symptom_form(for_myself=True, phone=None))
    case_id = response.json()["case_id"]
    assert response.json()["private"] is True
    assert await api.rows("SELECT id FROM outbox WHERE key = :k", k=case_id) == []
    assert (await api.call("GET", f"/me/cases/{case_id}", me)).status_code == 200
    assert (await api.call("GET", f"/cases/{case_id}", professional())).status_code == 404


async def test_a_guardian_submits_and_reads_for_their_child_under_15(api: Api) -> None:
    guardian = resident("g-1", children=[("child-1", "2020-05-01")])
    response = await api.call("POST", "/forms", guardian, symptom_form(child_subject="child-1"))
    assert response.status_code == 201
    case_id = response.json()["case_id"]
    [(payload,)] = await api.rows("SELECT payload FROM outbox WHERE key = :k", k=case_id)
    assert payload["proxy_contact"] is True
    assert (await api.call("GET", f"/me/cases/{case_id}", guardian)).status_code == 200
    listed = (await api.call("GET", "/me/cases", guardian)).json()
    assert [c["id"] for c in listed["items"]] == [case_id]


async def test_a_guardians_phone_is_stored_as_the_guardians_and_named_on_the_case(
    api: Api,
) -> None:
    guardian = resident("g-3", children=[("child-3", "2019-02-01")])
    form = symptom_form(child_subject="child-3", phone="+358409998877")
    response = await api.call("POST", "/forms", guardian, form)
    assert response.status_code == 201, response.text
    case_id = response.json()["case_id"]
    [(payload,)] = await api.rows("SELECT payload FROM outbox WHERE key = :k", k=case_id)
    contact = await api.rows(
        "SELECT key, payload FROM outbox WHERE event_type = :t",
        t="careflow.resident.contact_updated.v1",
    )
    # The guardian's contact is the one notified: their id is on the case event and
    # the phone landed in their customer information, not the child's.
    [(guardian_key, updated)] = contact
    assert payload["guardian_id"] == guardian_key != payload["resident_id"]
    assert updated["has_phone"] is True
    mine = (await api.call("GET", "/me/contact", guardian)).json()
    assert mine["phone"] == "+358409998877"
    child = (await api.call("GET", "/me/contact", resident("child-3"))).json()
    assert child["phone"] is None
    # The professional's case page shows the number to call: the guardian's.
    page = (await api.call("GET", f"/cases/{case_id}", professional())).json()
    assert page["proxy_contact"] is True
    assert page["customer_information"]["phone"] == "+358409998877"
    assert page["customer_information"]["phone_contact"] == "enabled"


async def test_a_proxy_for_an_adult_or_a_stranger_is_refused(api: Api) -> None:
    guardian = resident("g-2", children=[("teen", "2000-01-01")])
    for child in ("teen", "stranger"):
        response = await api.call("POST", "/forms", guardian, symptom_form(child_subject=child))
        assert response.status_code == 403
    assert await api.rows("SELECT id FROM cases") == []
