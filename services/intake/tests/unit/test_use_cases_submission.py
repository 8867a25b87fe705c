"""Use cases with an in-memory unit of work: submitting forms, creating cases, contact."""

from __future__ import annotations

import uuid

import pytest

from careflow.contracts import cases as c
from careflow.contracts import residents as r
from careflow.contracts.workqueue import QueueItemTaken
from careflow.intake.application import residents
from careflow.intake.application.create_case import create_case
from careflow.intake.application.submit_form import submit_form
from careflow.intake.domain.errors import InvalidInput, NotPermitted
from careflow.intake.domain.parking import ParkedEvent

from .builders import T0, Clock, symptom_form
from .fakes import FakeDatabase, intake_on, me, nurse

CONTACT = {
    "communication_language": "fi",
    "name": "Alice",
    "email": "alice@example.fi",
    "phone": "+358401234567",
    "email_notifications": True,
    "sms_notifications": False,
    "phone_contact_allowed": True,
}


async def test_a_submitted_form_is_stored_and_announced_once() -> None:
    db, who = FakeDatabase(), me()
    result = await submit_form(intake_on(db), who, symptom_form(), {"fever": True})
    case = db.state.cases[result.case_id]
    assert (case.resident_id, case.results, case.urgency) == (
        who.resident_id,
        {"fever": True},
        "P3",
    )
    assert db.events.count(c.CaseSubmitted.event_type) == 1
    assert db.commits == 1


async def test_the_phone_given_with_a_form_becomes_the_residents_number() -> None:
    db, who = FakeDatabase(), me()
    await submit_form(intake_on(db), who, symptom_form(phone="+358409999999"), None)
    assert db.state.residents[who.resident_id].phone == "+358409999999"
    assert r.ResidentContactDetailsChanged.event_type in db.events
    # The same number again changes nothing and announces nothing.
    before = list(db.events)
    await submit_form(intake_on(db), who, symptom_form(phone="+358409999999"), None)
    assert [e for e in db.events if e not in before] == []
    assert db.events.count(r.ResidentContactDetailsChanged.event_type) == 1


async def test_a_changed_number_is_noted_with_the_case_which_is_stored_once() -> None:
    db, who = FakeDatabase(), me()
    first = await submit_form(intake_on(db), who, symptom_form(phone="+358409999999"), None)
    commits = db.commits
    # The number on file: the case alone, and the check of the number, in one commit.
    same = await submit_form(intake_on(db), who, symptom_form(phone="+358409999999"), None)
    assert db.commits == commits + 1
    # A new number: the case's first commit is refused whole and writes nothing; the
    # second notes the number with the case.
    changed = await submit_form(intake_on(db), who, symptom_form(phone="+358401111111"), None)
    assert db.commits == commits + 2
    assert db.state.residents[who.resident_id].phone == "+358401111111"
    assert set(db.state.cases) == {first.case_id, same.case_id, changed.case_id}
    assert db.events.count(c.CaseSubmitted.event_type) == 3
    assert db.events.count(r.ResidentContactDetailsChanged.event_type) == 2


async def test_a_private_record_is_stored_and_never_announced() -> None:
    db = FakeDatabase()
    result = await submit_form(intake_on(db), me(), symptom_form(for_myself=True), None)
    assert db.state.cases[result.case_id].private
    assert c.CaseSubmitted.event_type not in db.events


async def test_a_refused_submission_stores_and_announces_nothing() -> None:
    db = FakeDatabase()
    with pytest.raises(InvalidInput):
        await submit_form(intake_on(db), me(), symptom_form(phone=None), None)
    answers = {f"q{i}": i for i in range(201)}
    with pytest.raises(InvalidInput, match="answers"):
        await submit_form(intake_on(db), me(), symptom_form(), answers)
    with pytest.raises(NotPermitted):
        await submit_form(intake_on(db), me(), symptom_form(child_id=uuid.uuid4()), None)
    assert (db.state.cases, db.state.outbox, db.commits) == ({}, [], 0)


async def test_a_professional_creates_a_case_that_is_theirs_from_the_start() -> None:
    db, resident_id = FakeDatabase(), uuid.uuid4()
    case_id = await create_case(
        intake_on(db),
        nurse("nurse-7"),
        resident_id=resident_id,
        kind="wellbeing_check",
        language="en",
        group_id=None,
    )
    case = db.state.cases[case_id]
    assert (case.resident_id, case.taken_by, case.organisation_id) == (
        resident_id,
        "nurse-7",
        "org-1",
    )
    assert db.events == [c.CaseCreatedByProfessional.event_type]


async def test_a_created_case_takes_the_work_queue_events_parked_for_it() -> None:
    db, clock = FakeDatabase(), Clock()
    intake = intake_on(db, clock)
    # create_case draws the id itself: park an event for the id it will draw.
    case_id = uuid.uuid4()
    taken = QueueItemTaken(case_id=case_id, professional_id="nurse-9", taken_at=T0)
    db.state.parked.append(
        ParkedEvent(
            case_id=case_id,
            topic="workqueue.items.v1",
            consumer="intake",
            event_id="e-1",
            event_type=taken.event_type,
            source="/careflow/workqueue",
            occurred_at=T0,
            payload=taken.model_dump(mode="json"),
            parked_at=T0,
            id=1,
        )
    )
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("careflow.intake.domain.case.uuid.uuid4", lambda: case_id)
        await create_case(
            intake, nurse(), resident_id=uuid.uuid4(), kind="appointment", language="fi",
            group_id=None,
        )  # fmt: skip
    assert db.state.cases[case_id].taken_by == "nurse-9"
    assert db.state.parked == []


async def test_an_id_the_event_contract_refuses_is_invalid_input_and_nothing_is_kept() -> None:
    db = FakeDatabase()
    with pytest.raises(InvalidInput, match="created_by") as refused:
        await create_case(
            intake_on(db), nurse("nurse 7@org"), resident_id=uuid.uuid4(),
            kind="appointment", language="fi", group_id=None,
        )  # fmt: skip
    assert "nurse 7@org" not in str(refused.value)
    assert refused.value.__suppress_context__
    assert (db.state.cases, db.state.outbox, db.commits) == ({}, [], 0)


async def test_updating_contact_stores_it_and_announces_the_changed_details() -> None:
    db, who = FakeDatabase(), me()
    view = await residents.update_contact(intake_on(db), who, **CONTACT)
    stored = db.state.residents[who.resident_id]
    assert (stored.email, stored.phone_permission) == ("alice@example.fi", True)
    assert view["email"] == "alice@example.fi"
    assert set(db.events) == {
        r.ResidentContactUpdated.event_type,
        r.ResidentNameChanged.event_type,
        r.ResidentContactDetailsChanged.event_type,
    }


async def test_an_address_with_a_trailing_newline_is_refused_and_nothing_is_kept() -> None:
    db = FakeDatabase()
    with pytest.raises(InvalidInput, match="email"):
        await residents.update_contact(
            intake_on(db), me(), **(CONTACT | {"email": "alice@example.fi\n"})
        )
    assert (db.state.residents, db.state.outbox, db.commits) == ({}, [], 0)


async def test_withdrawing_consents_ends_phone_permission_and_is_announced() -> None:
    db, who = FakeDatabase(), me()
    await residents.update_contact(intake_on(db), who, **CONTACT)
    view = await residents.withdraw_service_consents(intake_on(db), who)
    assert view["phone_contact_allowed"] is False
    assert db.state.residents[who.resident_id].phone_permission is False
    assert db.events[-2:] == [
        r.ServiceConsentsWithdrawn.event_type,
        r.ResidentContactUpdated.event_type,
    ]
