"""Customer information, consents, phone permission and who may see a case."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from careflow.intake.domain.access import (
    customer_information,
    phone_contact_enabled,
    professional_may_access,
    resident_may_access,
)
from careflow.intake.domain.case import Case
from careflow.intake.domain.errors import InvalidInput, WrongState
from careflow.intake.domain.residents import ConsentsGiven, ConsentsWithdrawn, Resident

from .builders import T0, TODAY, submitted_case


def _contact(r: Resident, **overrides: object) -> None:
    values: dict[str, object] = {
        "now": T0,
        "communication_language": "fi",
        "name": "Maija",
        "email": "maija@example.org",
        "phone": "+358401234567",
        "email_notifications": True,
        "sms_notifications": True,
        "phone_contact_allowed": True,
    }
    values.update(overrides)
    r.update_contact(**values)  # type: ignore[arg-type]


def test_withdrawing_the_service_consents_ends_phone_permission() -> None:
    r = Resident(uuid.uuid4())
    _contact(r)
    assert r.phone_permission
    r.pull_events()
    r.withdraw_service_consents(T0)
    assert not r.phone_permission
    assert isinstance(r.pull_events()[0], ConsentsWithdrawn)
    with pytest.raises(WrongState):
        _contact(r)


def test_notifications_need_the_contact_value() -> None:
    with pytest.raises(InvalidInput):
        _contact(Resident(uuid.uuid4()), email=None)
    with pytest.raises(InvalidInput):
        _contact(Resident(uuid.uuid4()), phone=None, phone_contact_allowed=False)


def test_changing_the_communication_language_never_changes_a_case_language() -> None:
    case = submitted_case(language="sv")
    r = Resident(case.resident_id)
    _contact(r, communication_language="en")
    assert case.language == "sv"


def test_phone_contact_shows_enabled_only_with_consents() -> None:
    case = submitted_case()
    resident = Resident(case.resident_id, phone="+358401234567")
    assert phone_contact_enabled(case, resident)
    resident.withdraw_service_consents(T0)
    assert not phone_contact_enabled(case, resident)


def test_a_refusal_on_the_form_holds_for_its_case() -> None:
    case = submitted_case(refuse_phone_contact=True)
    resident = Resident(case.resident_id)
    _contact(resident)  # phone contact allowed in the customer information
    assert not phone_contact_enabled(case, resident)


def _created_case() -> Case:
    return Case.create_for_resident(
        resident_id=uuid.uuid4(),
        kind="health_examination",
        language="fi",
        professional_id="pro-1",
        organisation_id="org-1",
        unit_id=None,
        group_id=None,
        now=T0,
    )


def test_a_professional_created_case_shows_the_residents_real_phone_permission() -> None:
    case = _created_case()
    resident = Resident(case.resident_id)
    _contact(resident)
    shown = customer_information(case, resident)
    assert shown.phone_contact == "enabled"
    assert shown.service_consents == "given"
    assert (shown.email_notifications, shown.sms_notifications) == (True, True)
    assert shown.phone == "+358401234567"


def test_a_professional_created_case_shows_not_enabled_when_the_resident_did_not_allow() -> None:
    case = _created_case()
    resident = Resident(case.resident_id)
    _contact(resident, phone_contact_allowed=False)
    assert customer_information(case, resident).phone_contact == "not_enabled"


def test_a_professional_created_case_shows_withdrawn_consents() -> None:
    case = _created_case()
    resident = Resident(case.resident_id)
    _contact(resident)
    resident.withdraw_service_consents(T0)
    shown = customer_information(case, resident)
    assert (shown.phone_contact, shown.service_consents) == ("not_enabled", "withdrawn")


def test_a_resident_never_seen_shows_unknown_consents_and_no_phone_permission() -> None:
    shown = customer_information(_created_case(), None)
    assert (shown.phone_contact, shown.service_consents) == ("not_enabled", "unknown")


def test_a_resident_who_withdrew_consents_can_give_them_again() -> None:
    r = Resident(uuid.uuid4())
    _contact(r)
    r.withdraw_service_consents(T0)
    r.pull_events()
    r.give_service_consents(T0)
    assert r.service_consents is True
    assert [type(e) for e in r.pull_events()] == [ConsentsGiven]
    # Phone permission does not come back by itself: the resident enables it again.
    assert not r.phone_permission
    _contact(r)
    assert r.phone_permission


def test_giving_consents_that_hold_changes_nothing() -> None:
    r = Resident(uuid.uuid4())
    r.give_service_consents(T0)
    assert r.pull_events() == []


def test_professionals_see_only_their_organisations_cases() -> None:
    case = submitted_case()
    assert professional_may_access(case, "org-1")
    assert not professional_may_access(case, "org-2")


def test_professionals_never_see_private_records() -> None:
    assert not professional_may_access(submitted_case(for_myself=True, phone=None), "org-1")


def test_a_case_closed_before_taken_cannot_be_opened_by_professionals() -> None:
    case = submitted_case()
    case.close_before_taken(T0)
    assert not professional_may_access(case, "org-1")


def test_a_resident_sees_only_their_own_cases() -> None:
    case = submitted_case()
    assert resident_may_access(case, case.resident_id, {}, TODAY)
    assert not resident_may_access(case, uuid.uuid4(), {}, TODAY)


def test_a_guardian_sees_their_child_under_15s_cases_only() -> None:
    case = submitted_case()
    guardian = uuid.uuid4()
    young = {case.resident_id: date(TODAY.year - 10, 1, 1)}
    grown = {case.resident_id: date(TODAY.year - 15, TODAY.month, TODAY.day)}
    assert resident_may_access(case, guardian, young, TODAY)
    assert not resident_may_access(case, guardian, grown, TODAY)


def test_an_anonymous_case_is_open_to_no_resident() -> None:
    case = submitted_case()
    case.identification = "anonymous"
    assert not resident_may_access(case, case.resident_id, {}, TODAY)


def test_a_cancellation_is_final_even_before_or_after_a_confirmation() -> None:
    from datetime import timedelta

    from careflow.intake.domain.bookings import Booking

    early = Booking("b-1", uuid.uuid4(), "org-1")
    early.cancel(T0, "resident")
    early.confirm(T0, T0 + timedelta(hours=1), T0 - timedelta(minutes=1), None, None)
    assert early.status == "cancelled"
    booking = Booking("b-2", uuid.uuid4(), "org-1")
    booking.confirm(T0 + timedelta(days=2), T0 + timedelta(days=2, hours=1), T0, "s", None)
    booking.confirm(T0, T0 + timedelta(hours=1), T0 - timedelta(hours=1), "old", None)
    assert booking.service_code == "s"
    booking.cancel(T0, "professional")
    assert booking.status == "cancelled"
