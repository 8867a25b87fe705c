"""Rules the case, resident and work-queue events enforce on their own fields."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from pydantic import ValidationError

from careflow.contracts.cases import (
    CLOSING_OBJECTION_WINDOW,
    CaseClosed,
    CaseSubmitted,
    ClosingProposed,
    TaskAssigned,
    objection_deadline,
)
from careflow.contracts.residents import ResidentContactDetailsChanged, ResidentContactUpdated
from careflow.contracts.workqueue import QueueItemTransferred, UrgencyChanged

NOW = datetime(2025, 3, 4, 8, 30, tzinfo=UTC)


def submitted(**changes: Any) -> CaseSubmitted:
    fields: dict[str, Any] = {
        "case_id": uuid4(),
        "resident_id": uuid4(),
        "organisation_id": "org-1",
        "form_kind": "symptom_assessment",
        "identification": "identified",
        "language": "fi",
        "urgency": "P3",
        "phone_contact_allowed": True,
        "submitted_at": NOW,
    }
    return CaseSubmitted(**(fields | changes))


def test_a_guardians_submission_names_the_guardian_whose_contact_is_notified() -> None:
    guardian = uuid4()
    event = submitted(proxy_contact=True, guardian_id=guardian)
    assert event.guardian_id == guardian
    assert submitted(proxy_contact=True).guardian_id is None  # published before the field


def test_only_a_proxy_contact_names_a_guardian() -> None:
    with pytest.raises(ValidationError, match="guardian_id is set only for a proxy contact"):
        submitted(guardian_id=uuid4())


def test_a_professionals_closing_proposal_gives_72_hours_to_object() -> None:
    assert timedelta(hours=72) == CLOSING_OBJECTION_WINDOW
    proposal = ClosingProposed(
        case_id=uuid4(),
        resident_id=uuid4(),
        proposal_id=uuid4(),
        proposed_by="professional",
        professional_id="pro-1",
        proposed_at=NOW,
        objection_deadline=objection_deadline(NOW),
    )
    assert proposal.objection_deadline == NOW + timedelta(hours=72)


def test_a_residents_closing_proposal_has_no_deadline_or_professional() -> None:
    with pytest.raises(ValidationError, match="objection_deadline is set exactly"):
        ClosingProposed(
            case_id=uuid4(),
            resident_id=uuid4(),
            proposal_id=uuid4(),
            proposed_by="resident",
            proposed_at=NOW,
            objection_deadline=NOW + timedelta(hours=72),
        )


def test_an_anonymous_submission_cannot_allow_phone_contact() -> None:
    with pytest.raises(ValidationError, match="anonymous"):
        submitted(identification="anonymous", phone_contact_allowed=True)
    assert submitted(identification="anonymous", phone_contact_allowed=False).urgency == "P3"


def test_only_a_symptom_assessment_carries_an_urgency_class() -> None:
    with pytest.raises(ValidationError, match="only a symptom assessment"):
        submitted(form_kind="service_assessment")
    assert submitted(form_kind="service_assessment", urgency=None).urgency is None


def test_the_rule_set_version_comes_only_with_the_class_it_computed() -> None:
    assert submitted(urgency_rules="symptoms-1").urgency_rules == "symptoms-1"
    with pytest.raises(ValidationError, match="rule-set version"):
        submitted(form_kind="service_assessment", urgency=None, urgency_rules="symptoms-1")
    with pytest.raises(ValidationError):
        submitted(urgency_rules="Symptoms 1: my own")


def test_only_p0_tells_the_resident_to_call_the_emergency_number() -> None:
    assert submitted(urgency="P0", call_emergency_number=True).call_emergency_number
    with pytest.raises(ValidationError, match="112"):
        submitted(urgency="P1", call_emergency_number=True)


def test_an_event_from_before_the_rule_sets_still_reads() -> None:
    old = submitted().model_dump(mode="json")
    del old["urgency_rules"], old["call_emergency_number"]
    event = CaseSubmitted.model_validate(old)
    assert (event.urgency_rules, event.call_emergency_number) == (None, False)


def test_an_unknown_urgency_class_or_language_is_rejected() -> None:
    with pytest.raises(ValidationError):
        submitted(urgency="P9")
    with pytest.raises(ValidationError):
        submitted(language="de")


def test_an_organisation_id_cannot_carry_text() -> None:
    with pytest.raises(ValidationError):
        submitted(organisation_id="Health centre of Kallio")


def test_the_closer_must_match_the_closing_reason() -> None:
    with pytest.raises(ValidationError, match="closed by resident"):
        CaseClosed(
            case_id=uuid4(),
            resident_id=uuid4(),
            reason="resident_before_taken",
            closed_by="professional",
            closed_at=NOW,
        )


def test_a_task_cannot_end_before_it_starts() -> None:
    with pytest.raises(ValidationError, match="latest_date"):
        TaskAssigned(
            case_id=uuid4(),
            resident_id=uuid4(),
            task_id=uuid4(),
            task_kind="questionnaire",
            assigned_by="pro-1",
            start_date=date(2025, 3, 4),
            latest_date=date(2025, 3, 3),
            assigned_at=NOW,
        )


def test_an_anonymous_resident_has_no_phone_permission() -> None:
    with pytest.raises(ValidationError, match="anonymous"):
        ResidentContactUpdated(
            resident_id=uuid4(),
            anonymous=True,
            email_notifications=False,
            sms_notifications=False,
            phone_contact_allowed=True,
            communication_language="fi",
            has_email=False,
            has_phone=True,
            updated_at=NOW,
        )


@pytest.mark.parametrize("phone", ["0401234567", "+358 40 123 4567", "call me"])
def test_a_phone_number_must_be_e164(phone: str) -> None:
    with pytest.raises(ValidationError):
        ResidentContactDetailsChanged(
            resident_id=uuid4(), phone=phone, communication_language="fi", changed_at=NOW
        )


def test_a_transfer_goes_to_exactly_one_target() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        QueueItemTransferred(
            case_id=uuid4(),
            transferred_by="pro-1",
            to_professional_id="pro-2",
            to_group_id="doctors",
            transferred_at=NOW,
        )


def test_an_urgency_change_changes_the_class_and_keeps_the_original() -> None:
    changed = UrgencyChanged(
        case_id=uuid4(),
        original_urgency="P4",
        previous_urgency="P3",
        current_urgency="P1",
        reason_code="new_information",
        changed_by="pro-1",
        changed_at=NOW,
    )
    assert (changed.original_urgency, changed.current_urgency) == ("P4", "P1")
    with pytest.raises(ValidationError, match="equals"):
        UrgencyChanged(**(changed.model_dump() | {"current_urgency": "P3"}))
