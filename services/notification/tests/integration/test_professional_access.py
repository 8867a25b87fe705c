"""A professional reads a resident's communication history: only about their own organisation's
cases and the notifications without a case it requested (patient reminders), only for a
resident who has either there, and every read is audited."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from careflow.contracts.cases import CaseCreatedByProfessional, CaseSubmitted
from careflow.contracts.notifications import NotificationRequested
from careflow.shared.auth.claims import ProfessionalPrincipal
from careflow.shared.auth.signing import mint_token

from .test_delivery import addresses, both_sent, task


def professional(service, org: str, roles: tuple[str, ...] = ("nurse",)) -> dict[str, str]:  # type: ignore[no-untyped-def]
    principal = ProfessionalPrincipal(
        subject=f"pro-{uuid.uuid4().hex[:6]}", organisation=org, unit="unit-1", roles=list(roles)
    )
    token = mint_token(
        service.key,
        service.kid,
        principal,
        issuer=service.auth.issuer,
        audience=service.auth.audience,
    )
    return {"Authorization": f"Bearer {token}"}


def submitted(resident_id: uuid.UUID, org: str) -> CaseSubmitted:
    return CaseSubmitted(
        case_id=uuid.uuid4(),
        resident_id=resident_id,
        organisation_id=org,
        form_kind="service_assessment",
        identification="identified",
        language="fi",
        phone_contact_allowed=True,
        submitted_at=datetime.now(UTC),
    )


def created(resident_id: uuid.UUID, org: str) -> CaseCreatedByProfessional:
    return CaseCreatedByProfessional(
        case_id=uuid.uuid4(),
        resident_id=resident_id,
        organisation_id=org,
        kind="wellbeing_check",
        created_by="pro-9",
        language="fi",
        created_at=datetime.now(UTC),
    )


async def test_a_professional_sees_their_organisations_notifications_and_the_read_is_audited(
    service,
):
    org_a, org_b = f"org-a-{uuid.uuid4().hex[:6]}", f"org-b-{uuid.uuid4().hex[:6]}"
    mail, phone = addresses()
    resident_id = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    case_a, case_b = submitted(resident_id, org_a), created(resident_id, org_b)
    task_a, task_b = task(resident_id), task(resident_id, "questionnaire")
    task_a = task_a.model_copy(update={"case_id": case_a.case_id})
    task_b = task_b.model_copy(update={"case_id": case_b.case_id})
    # Case opened, then its task, on the case's own partition (one key): in this order.
    await service.publish(case_a, task_a, case_b, task_b)
    await service.wait_for_statuses(resident_id, both_sent)
    path = f"/professional/residents/{resident_id}/communications"
    nurse_a = professional(service, org_a)

    answer = await service.client.get(path, headers=nurse_a)

    assert answer.status_code == 200, answer.text
    items = answer.json()["items"]
    assert [(i["case_id"], i["purpose"]) for i in items] == [
        (str(case_a.case_id), "action_instruction")
    ]  # organisation B's case is not organisation A's business
    assert mail not in answer.text
    assert phone not in answer.text
    audit = await service.client.get(
        "/audit-records",
        params={"resident_id": str(resident_id)},
        headers=professional(service, org_a, roles=("auditor",)),
    )
    assert audit.status_code == 200, audit.text
    [record] = audit.json()["items"]
    assert (record["service"], record["organisation"]) == ("notification", org_a)
    assert record["action"] == "read_communication_history"
    assert record["purpose"] == "communication_review"


async def test_a_professional_of_another_organisation_learns_nothing_and_leaves_no_read(service):
    mail, phone = addresses()
    resident_id = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    org = f"org-{uuid.uuid4().hex[:6]}"
    case = submitted(resident_id, org)
    await service.publish(case, task(resident_id).model_copy(update={"case_id": case.case_id}))
    await service.wait_for_statuses(resident_id, both_sent)
    path = f"/professional/residents/{resident_id}/communications"
    stranger_org = f"org-x-{uuid.uuid4().hex[:6]}"

    refused = await service.client.get(path, headers=professional(service, stranger_org))
    unknown = await service.client.get(
        f"/professional/residents/{uuid.uuid4()}/communications",
        headers=professional(service, stranger_org),
    )

    assert refused.status_code == unknown.status_code == 404  # the same answer: nothing leaks
    assert refused.headers["content-type"].startswith("application/problem+json")
    resident_token = service.token_for(resident_id)
    assert (await service.client.get(path, headers=resident_token)).status_code == 403
    assert (await service.client.get(path)).status_code == 401
    audit = await service.client.get(
        "/audit-records", headers=professional(service, stranger_org, roles=("admin",))
    )
    assert audit.json()["items"] == []
    nurse_only = await service.client.get("/audit-records", headers=professional(service, org))
    assert nurse_only.status_code == 403


async def test_a_professional_reads_the_notifications_a_guardian_got_about_a_childs_case(service):
    mail, phone = addresses()
    guardian = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    org = f"org-{uuid.uuid4().hex[:6]}"
    case = submitted(uuid.uuid4(), org).model_copy(
        update={"proxy_contact": True, "guardian_id": guardian}
    )
    await service.publish(case, task(case.resident_id).model_copy(update={"case_id": case.case_id}))
    await service.wait_for_statuses(guardian, both_sent)

    answer = await service.client.get(
        f"/professional/residents/{guardian}/communications", headers=professional(service, org)
    )

    assert answer.status_code == 200, answer.text
    assert [(i["case_id"], i["purpose"]) for i in answer.json()["items"]] == [
        (str(case.case_id), "action_instruction")
    ]


def reminder(resident_id: uuid.UUID, org: str | None) -> NotificationRequested:
    """A patient reminder, as reminders requests it: no case, on `org`'s behalf."""
    return NotificationRequested(
        notification_id=uuid.uuid4(),
        requested_by="reminders",
        requested_at=datetime.now(UTC),
        resident_id=resident_id,
        purpose="patient_reminder",
        channels=["email"],
        link_target="reminders",
        organisation_id=org,
    )


async def test_a_reminder_without_a_case_shows_to_the_requesting_organisation_only(service):
    mail, phone = addresses()
    resident_id = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    org_a, org_b = f"org-a-{uuid.uuid4().hex[:6]}", f"org-b-{uuid.uuid4().hex[:6]}"
    of_a, of_b = reminder(resident_id, org_a), reminder(resident_id, org_b)
    of_nobody = reminder(resident_id, None)
    for event_id in await service.publish(of_a, of_b, of_nobody):
        await service.wait_for_inbox(event_id)
    path = f"/professional/residents/{resident_id}/communications"

    seen_by_a = await service.client.get(path, headers=professional(service, org_a))
    seen_by_b = await service.client.get(path, headers=professional(service, org_b))
    stranger_org = f"org-x-{uuid.uuid4().hex[:6]}"
    refused = await service.client.get(path, headers=professional(service, stranger_org))

    assert seen_by_a.status_code == 200, seen_by_a.text
    assert [
        (i["notification_id"], i["purpose"], i["case_id"]) for i in seen_by_a.json()["items"]
    ] == [(str(of_a.notification_id), "patient_reminder", None)]
    assert [i["notification_id"] for i in seen_by_b.json()["items"]] == [str(of_b.notification_id)]
    assert mail not in seen_by_a.text
    # Neither a case nor a reminder there: nothing, as for an unknown resident.
    assert refused.status_code == 404
    # The resident sees all three.
    own = await service.client.get("/me/communications", headers=service.token_for(resident_id))
    assert {i["notification_id"] for i in own.json()["items"]} == {
        str(e.notification_id) for e in (of_a, of_b, of_nobody)
    }
    # Each answered read is audited in its organisation's log; the refused one is not.
    for org in (org_a, org_b, stranger_org):
        audit = await service.client.get(
            "/audit-records",
            params={"resident_id": str(resident_id)},
            headers=professional(service, org, roles=("auditor",)),
        )
        assert audit.status_code == 200, audit.text
        records = audit.json()["items"]
        if org == stranger_org:
            assert records == []
        else:
            [record] = records
            assert (record["organisation"], record["action"], record["purpose"]) == (
                org,
                "read_communication_history",
                "communication_review",
            )
