"""Case rules over the broker: a new goal, closing without consent, a guardian's case,
an anonymous case."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from careflow.contracts.cases import CaseClosed, CaseSubmitted, GoalSet
from careflow.contracts.workqueue import QueueItemMarkedIncomplete

from .test_delivery import addresses, both_sent

ANONYMOUS_BOTH = {
    "email": ("suppressed", "anonymous_resident"),
    "sms": ("suppressed", "anonymous_resident"),
}


def opened(resident_id: uuid.UUID, **fields: Any) -> CaseSubmitted:
    values: dict[str, Any] = {
        "case_id": uuid.uuid4(),
        "resident_id": resident_id,
        "organisation_id": "org-1",
        "form_kind": "symptom_assessment",
        "identification": "identified",
        "language": "fi",
        "urgency": "P3",
        "phone_contact_allowed": True,
        "submitted_at": datetime.now(UTC),
    }
    return CaseSubmitted(**(values | fields))


def anonymous_opening(resident_id: uuid.UUID) -> CaseSubmitted:
    return opened(
        resident_id,
        form_kind="pre_information",
        identification="anonymous",
        urgency=None,
        phone_contact_allowed=False,
    )


def goal(case: CaseSubmitted) -> GoalSet:
    return GoalSet(
        case_id=case.case_id,
        resident_id=case.resident_id,
        goal_id=uuid.uuid4(),
        set_by="professional",
        professional_id="pro-1",
        set_at=datetime.now(UTC),
    )


def marked(case: CaseSubmitted) -> QueueItemMarkedIncomplete:
    return QueueItemMarkedIncomplete(
        case_id=case.case_id,
        resident_id=case.resident_id,
        marked_by="pro-1",
        marked_at=datetime.now(UTC),
    )


async def test_a_professionals_new_goal_reaches_the_resident_as_a_prompt_to_log_in(service):
    mail, phone = addresses()
    resident_id = await service.resident(
        f"sub-{uuid.uuid4()}", language="en", email=mail, phone=phone
    )
    case = opened(resident_id)
    await service.publish(case, goal(case))
    await service.wait_for_statuses(resident_id, both_sent)
    [sms] = service.sms.to(phone)
    link = f"https://careflow.local/cases/{case.case_id}"
    assert sms["text"] == f"CareFlow: There is a new goal in your case. Log in: {link}"
    [message] = service.smtp.to(mail)
    assert message["Subject"] == "Something new in CareFlow"


async def test_closing_without_consent_tells_the_resident_to_log_in_and_read_why(service):
    mail, phone = addresses()
    resident_id = await service.resident(
        f"sub-{uuid.uuid4()}", language="sv", email=mail, phone=phone
    )
    case = opened(resident_id)
    closing = CaseClosed(
        case_id=case.case_id,
        resident_id=resident_id,
        reason="professional_without_consent",
        closed_by="professional",
        professional_id="pro-1",
        closed_at=datetime.now(UTC),
    )
    await service.publish(case, closing)
    await service.wait_for_statuses(resident_id, both_sent)
    [sms] = service.sms.to(phone)
    assert sms["text"] == (
        "CareFlow: En yrkesperson har avslutat ditt ärende och skrivit orsaken till dig. "
        f"Logga in: https://careflow.local/cases/{case.case_id}"
    )
    [message] = service.smtp.to(mail)
    assert "Logga in för att läsa:" in message.get_content()


async def test_a_guardians_case_is_notified_to_the_guardians_contact(service):
    mail, phone = addresses()
    guardian = await service.resident(f"sub-{uuid.uuid4()}", email=mail, phone=phone)
    child = uuid.uuid4()  # no contact data of the child's own
    case = opened(child, proxy_contact=True, guardian_id=guardian)
    [_opened, set_goal] = await service.publish(case, goal(case))
    await service.wait_for_statuses(guardian, both_sent)
    [sms] = service.sms.to(phone)
    assert sms["text"] == (
        f"CareFlow: Asioinnissasi on uusi tavoite. Kirjaudu: https://careflow.local/cases/{case.case_id}"
    )
    await service.wait_for_inbox(set_goal)
    assert await service.statuses(child) == {}  # nothing parked or suppressed for the child


async def test_an_anonymous_cases_notification_is_suppressed_at_once_not_parked(service):
    anonymous = uuid.uuid4()  # intake publishes no contact data for anonymous senders
    case = anonymous_opening(anonymous)
    [opened_id] = await service.publish(case)
    await service.wait_for_inbox(opened_id)
    await service.publish(marked(case))
    # The park timeout is 24 h here: only an immediate decision can be seen.
    found = await service.wait_for_statuses(anonymous, lambda f: len(f) == 2)
    assert found == ANONYMOUS_BOTH


async def test_a_notification_parked_before_the_anonymous_opening_arrived_is_suppressed(service):
    anonymous = uuid.uuid4()
    case = anonymous_opening(anonymous)
    [incomplete] = await service.publish(marked(case))  # the work queue's topic was faster
    await service.wait_for_inbox(incomplete)
    assert await service.statuses(anonymous) == {}  # parked: the case is not known yet
    await service.publish(case)
    found = await service.wait_for_statuses(anonymous, lambda f: len(f) == 2)
    assert found == ANONYMOUS_BOTH
