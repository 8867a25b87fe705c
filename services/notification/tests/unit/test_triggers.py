"""Which case events notify the resident, of what, and how a case's opening addresses them."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from careflow.contracts import cases as c
from careflow.notification.application.planning import plan
from careflow.notification.application.triggers import request_for
from careflow.notification.domain.addressing import CaseAddress, addressed, suppressed_at_once
from careflow.notification.domain.consent import ANONYMOUS

from .builders import NOW, contact
from .test_texts import expected_sms


def goal_set(set_by: str, **fields: Any) -> c.GoalSet:
    values: dict[str, Any] = {
        "case_id": uuid.uuid4(),
        "resident_id": uuid.uuid4(),
        "goal_id": uuid.uuid4(),
        "set_by": set_by,
        "professional_id": None if set_by == "resident" else "pro-1",
        "set_at": NOW,
    }
    return c.GoalSet(**(values | fields))


def closed(reason: str, closed_by: str, **fields: Any) -> c.CaseClosed:
    values: dict[str, Any] = {
        "case_id": uuid.uuid4(),
        "resident_id": uuid.uuid4(),
        "reason": reason,
        "closed_by": closed_by,
        "professional_id": "pro-1" if closed_by == "professional" else None,
        "closed_at": NOW,
    }
    return c.CaseClosed(**(values | fields))


def test_a_goal_a_professional_set_notifies_the_resident_of_a_new_goal(notifier):
    event = goal_set("professional")
    request = request_for(event, notifier)
    assert request is not None
    assert (request.resident_id, request.purpose) == (event.resident_id, "new_goal")
    assert request.link == f"https://careflow.example/cases/{event.case_id}"
    assert request.channels == ("email", "sms")


@pytest.mark.parametrize("set_by", ["resident", "together"])
def test_a_goal_the_resident_set_alone_or_together_notifies_nobody(notifier, set_by):
    assert request_for(goal_set(set_by), notifier) is None


def test_the_same_goal_republished_is_the_same_notification(notifier):
    event = goal_set("professional")
    again = event.model_copy(update={"set_at": NOW.replace(minute=5)})
    first, second = request_for(event, notifier), request_for(again, notifier)
    assert first is not None
    assert second is not None
    assert first.notification_id == second.notification_id
    other = request_for(goal_set("professional", case_id=event.case_id), notifier)
    assert other is not None
    assert other.notification_id != first.notification_id


def test_closing_without_consent_asks_the_resident_to_log_in_and_read_the_reason(notifier):
    event = closed("professional_without_consent", "professional")
    request = request_for(event, notifier)
    assert request is not None
    assert (request.purpose, request.case_id) == ("case_closed_without_consent", event.case_id)
    [_email, sms] = plan(
        request, contact(language="en"), notifier.renderer, now=NOW, default_time_zone="UTC"
    )
    # The reason itself stays in intake: the words are the template's, nothing more.
    assert sms.body == expected_sms("en", "case_closed_without_consent", request.link)


@pytest.mark.parametrize(
    ("reason", "closed_by"),
    [
        ("resident_before_taken", "resident"),
        ("resident_accepted", "resident"),
        ("professional_accepted", "professional"),
        ("proposal_expired", "system"),
    ],
)
def test_other_closings_notify_nobody(notifier, reason, closed_by):
    assert request_for(closed(reason, closed_by), notifier) is None


def test_a_guardians_case_is_notified_to_the_guardian(notifier):
    event = goal_set("professional")
    guardian = uuid.uuid4()
    case = CaseAddress(event.case_id, event.resident_id, guardian_id=guardian)
    request = request_for(event, notifier)
    assert request is not None
    assert addressed(request, case).resident_id == guardian
    assert not suppressed_at_once(case)


def test_a_case_without_a_guardian_or_not_known_yet_keeps_its_resident(notifier):
    event = goal_set("professional")
    request = request_for(event, notifier)
    assert request is not None
    own = CaseAddress(event.case_id, event.resident_id)
    assert addressed(request, own) == request
    assert addressed(request, None) == request
    assert not suppressed_at_once(None)


def test_an_anonymous_case_is_suppressed_at_once_with_the_reason(notifier):
    event = closed("professional_without_consent", "professional")
    case = CaseAddress(event.case_id, event.resident_id, anonymous=True)
    assert suppressed_at_once(case)
    request = request_for(event, notifier)
    assert request is not None
    deliveries = plan(
        request,
        None,
        notifier.renderer,
        now=NOW,
        default_time_zone="UTC",
        reason_override=ANONYMOUS,
    )
    assert [(d.channel, d.status, d.reason) for d in deliveries] == [
        ("email", "suppressed", "anonymous_resident"),
        ("sms", "suppressed", "anonymous_resident"),
    ]
