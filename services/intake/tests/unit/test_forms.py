"""Submission rules: identification, phone, proxy contact, private records, urgency."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from careflow.intake.domain.case import Case
from careflow.intake.domain.errors import InvalidInput, NotPermitted
from careflow.intake.domain.events import CaseOpened
from careflow.intake.domain.forms import FormSubmission, admit

from .builders import CHEST_PAIN, FEVER, POLICY, T0, TODAY, anonymous, resident, symptom_form


@pytest.mark.parametrize(
    "kind", ["symptom_assessment", "service_assessment", "health_check_result"]
)
def test_an_identified_resident_must_give_a_phone_number(kind: str) -> None:
    form = symptom_form(
        kind=kind, phone=None, urgency="P3" if kind == "symptom_assessment" else None
    )
    with pytest.raises(InvalidInput, match="phone"):
        admit(form, resident(), POLICY, TODAY)


def test_a_pre_information_form_needs_no_phone_number() -> None:
    form = symptom_form(kind="pre_information", phone=None, urgency=None, form_id="x")
    admission = admit(form, resident(), POLICY, TODAY)
    assert admission.phone_contact_allowed is False


def test_the_resident_may_refuse_phone_contact() -> None:
    admission = admit(symptom_form(refuse_phone_contact=True), resident(), POLICY, TODAY)
    assert admission.phone == "+358401234567"
    assert admission.phone_contact_allowed is False


def test_phone_contact_is_allowed_when_not_refused() -> None:
    assert admit(symptom_form(), resident(), POLICY, TODAY).phone_contact_allowed is True


def test_a_malformed_phone_number_is_refused() -> None:
    with pytest.raises(InvalidInput):
        admit(symptom_form(phone="040 123"), resident(), POLICY, TODAY)


def test_anonymous_submission_is_allowed_only_for_listed_pre_information_forms() -> None:
    form = FormSubmission(
        kind="pre_information", language="fi", organisation_id="o", form_id="checkup-basic"
    )
    admission = admit(form, anonymous(), POLICY, TODAY)
    assert admission.identification == "anonymous"
    assert admission.phone is None
    assert admission.phone_contact_allowed is False


def test_anonymous_submission_of_an_unlisted_pre_information_form_is_refused() -> None:
    form = FormSubmission(kind="pre_information", language="fi", organisation_id="o", form_id="x")
    with pytest.raises(NotPermitted):
        admit(form, anonymous(), POLICY, TODAY)


@pytest.mark.parametrize(
    "kind", ["symptom_assessment", "service_assessment", "health_check_result"]
)
def test_anonymous_submission_of_other_kinds_is_refused(kind: str) -> None:
    form = symptom_form(kind=kind, urgency="P3" if kind == "symptom_assessment" else None)
    with pytest.raises(NotPermitted):
        admit(form, anonymous(), POLICY, TODAY)


def test_an_anonymous_submission_carries_no_phone_number() -> None:
    form = FormSubmission(
        kind="pre_information",
        language="fi",
        organisation_id="o",
        form_id="checkup-basic",
        phone="+358401234567",
    )
    with pytest.raises(InvalidInput):
        admit(form, anonymous(), POLICY, TODAY)


def test_other_forms_carry_no_urgency() -> None:
    with pytest.raises(InvalidInput):
        admit(symptom_form(kind="service_assessment", urgency="P2"), resident(), POLICY, TODAY)
    admission = admit(symptom_form(kind="service_assessment"), resident(), POLICY, TODAY)
    assert (admission.urgency, admission.urgency_rules) == (None, None)


def test_the_urgency_is_computed_from_the_answers_with_the_rule_set_version() -> None:
    admission = admit(symptom_form(answers=FEVER), resident(), POLICY, TODAY)
    assert (admission.urgency, admission.urgency_rules) == ("P3", "symptoms-1")
    assert admission.claimed_urgency_overruled is False


def test_a_resident_cannot_raise_their_own_priority() -> None:
    admission = admit(symptom_form(answers=FEVER, urgency="P1"), resident(), POLICY, TODAY)
    assert admission.urgency == "P3"
    assert admission.claimed_urgency_overruled is True


def test_nor_lower_it_below_what_the_answers_say() -> None:
    admission = admit(symptom_form(answers=CHEST_PAIN, urgency="P5"), resident(), POLICY, TODAY)
    assert admission.urgency == "P0"
    assert admission.call_emergency_number is True
    assert admission.claimed_urgency_overruled is True


def test_an_organisation_class_claimed_by_the_client_is_ignored_not_trusted() -> None:
    admission = admit(symptom_form(urgency="P6"), resident(), POLICY, TODAY)
    assert admission.urgency == "P3"


def test_p0_tells_the_resident_to_call_the_emergency_number() -> None:
    assert admit(symptom_form(answers=CHEST_PAIN), resident(), POLICY, TODAY).call_emergency_number
    assert not admit(symptom_form(answers=FEVER), resident(), POLICY, TODAY).call_emergency_number


def test_p0_in_a_private_record_still_tells_the_resident_at_once() -> None:
    admission = admit(symptom_form(answers=CHEST_PAIN, for_myself=True), resident(), POLICY, TODAY)
    assert admission.private is True
    assert admission.call_emergency_number is True


def test_p0_is_admitted_without_a_phone_number_so_the_resident_hears_call_112() -> None:
    admission = admit(symptom_form(answers=CHEST_PAIN, phone=None), resident(), POLICY, TODAY)
    assert admission.call_emergency_number is True
    assert admission.phone_contact_allowed is False
    with pytest.raises(InvalidInput, match="phone"):
        admit(symptom_form(answers=FEVER, phone=None), resident(), POLICY, TODAY)


def test_a_symptom_assessment_without_the_red_flag_answers_is_refused() -> None:
    with pytest.raises(InvalidInput, match="must answer"):
        admit(symptom_form(answers={"fever": True}, urgency="P3"), resident(), POLICY, TODAY)


def test_unknown_language_is_refused() -> None:
    with pytest.raises(InvalidInput):
        admit(symptom_form(language="de"), resident(), POLICY, TODAY)


def _born(years_ago: int, days_later: int = 0) -> date:
    return date(TODAY.year - years_ago, TODAY.month, TODAY.day).fromordinal(
        date(TODAY.year - years_ago, TODAY.month, TODAY.day).toordinal() + days_later
    )


def test_a_guardian_submits_for_a_child_of_14_years_364_days_as_proxy_contact() -> None:
    child = uuid.uuid4()
    guardian = resident({child: _born(15, days_later=1)})
    admission = admit(symptom_form(child_id=child), guardian, POLICY, TODAY)
    assert admission.proxy_contact is True
    assert admission.resident_id == child
    assert admission.submitted_by == guardian.resident_id
    assert admission.contact_id == guardian.resident_id  # the guardian's phone, not the child's


def test_a_guardians_case_uses_the_guardians_customer_information() -> None:
    child = uuid.uuid4()
    guardian = resident({child: _born(10)})
    form = symptom_form(child_id=child)
    case = Case.submit(form, admit(form, guardian, POLICY, TODAY), None, T0)
    assert (case.resident_id, case.guardian_id) == (child, guardian.resident_id)
    assert case.contact_id == guardian.resident_id
    own = Case.submit(symptom_form(), admit(symptom_form(), resident(), POLICY, TODAY), None, T0)
    assert own.guardian_id is None
    assert own.contact_id == own.resident_id


def test_a_residents_own_form_brings_their_own_contact() -> None:
    me = resident()
    admission = admit(symptom_form(), me, POLICY, TODAY)
    assert admission.contact_id == me.resident_id == admission.resident_id


def test_a_guardian_cannot_submit_for_a_child_on_their_15th_birthday() -> None:
    child = uuid.uuid4()
    with pytest.raises(NotPermitted):
        admit(symptom_form(child_id=child), resident({child: _born(15)}), POLICY, TODAY)


def test_a_proxy_for_someone_not_registered_as_ones_child_is_refused() -> None:
    with pytest.raises(NotPermitted):
        admit(symptom_form(child_id=uuid.uuid4()), resident(), POLICY, TODAY)


def test_an_anonymous_sender_cannot_act_for_a_child() -> None:
    form = FormSubmission(
        kind="pre_information",
        language="fi",
        organisation_id="o",
        form_id="checkup-basic",
        child_id=uuid.uuid4(),
    )
    with pytest.raises(NotPermitted):
        admit(form, anonymous(), POLICY, TODAY)


def test_a_form_saved_for_myself_becomes_a_private_record() -> None:
    form = symptom_form(for_myself=True, phone=None)
    admission = admit(form, resident(), POLICY, TODAY)
    case = Case.submit(form, admission, {"q": 1}, T0)
    assert case.private
    assert case.hidden_from_professionals
    assert isinstance(case.events[0], CaseOpened)


def test_the_case_keeps_the_language_of_the_form() -> None:
    form = symptom_form(language="en")
    case = Case.submit(form, admit(form, resident(), POLICY, TODAY), None, T0)
    assert case.language == "en"
