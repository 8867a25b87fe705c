"""Domain events map to valid contract events that carry no text."""

from __future__ import annotations

import uuid
from datetime import date

from careflow.contracts import cases as c
from careflow.intake.application.outgoing import case_events, resident_events
from careflow.intake.domain.case import Case
from careflow.intake.domain.forms import Submitter, admit
from careflow.intake.domain.residents import Resident

from .builders import POLICY, T0, TODAY, Clock, submitted_case, symptom_form


def test_a_whole_case_life_maps_to_contract_events_without_free_text() -> None:
    clock = Clock()
    case = submitted_case()
    case.events.clear()
    from careflow.intake.domain.events import CaseOpened

    case.events.append(CaseOpened(T0))
    case.mark_taken("pro-1", clock())
    goal = case.set_goal("Secret goal text", "together", clock(), "pro-1")
    case.edit_goal(goal, "Secret edited text", "resident", clock())
    case.assign_task(
        kind="questionnaire",
        instruction="Secret instruction",
        professional_id="pro-1",
        now=clock(),
        today=TODAY,
    )
    case.fill_questionnaire(case.tasks[0].id, clock())
    case.attach_coaching("pro-1", clock())
    rejected = case.propose_closing("resident", clock())
    case.reject_closing(rejected, "pro-1", clock())
    objected = case.propose_closing("professional", clock(), "pro-1")
    case.object_to_closing(objected, clock())
    case.propose_closing("professional", clock(), "pro-1")
    case.expire_proposal(clock.advance(hours=72))
    published = list(case_events(case, case.pull_events()))
    assert [type(e) for e in published] == [
        c.CaseSubmitted,
        c.GoalSet,
        c.GoalEdited,
        c.TaskAssigned,
        c.QuestionnaireFilled,
        c.CoachingAttached,
        c.ClosingProposed,
        c.ClosingProposalRejected,
        c.ClosingProposed,
        c.ClosingObjected,
        c.ClosingProposed,
        c.CaseClosed,
        c.CoachingEnded,
    ]
    assert all(e.case_id == case.id for e in published)
    assert "Secret" not in str([e.model_dump() for e in published])


def test_a_guardians_case_names_the_guardian_and_a_residents_own_case_nobody() -> None:
    from careflow.intake.domain.events import CaseOpened

    guardian, child = uuid.uuid4(), uuid.uuid4()
    form = symptom_form(child_id=child)
    who = Submitter(guardian, identified=True, children={child: date(2020, 1, 1)})
    proxy = Case.submit(form, admit(form, who, POLICY, TODAY), None, T0)
    [opened] = case_events(proxy, [CaseOpened(T0)])
    assert isinstance(opened, c.CaseSubmitted)
    assert (opened.resident_id, opened.guardian_id) == (child, guardian)
    [own] = case_events(submitted_case(), [CaseOpened(T0)])
    assert own.guardian_id is None  # type: ignore[attr-defined]


def test_a_private_record_publishes_nothing() -> None:
    case = submitted_case(for_myself=True, phone=None)
    from careflow.intake.domain.events import CaseOpened

    assert list(case_events(case, [CaseOpened(T0)])) == []


def test_withdrawn_consents_publish_no_phone_permission() -> None:
    resident = Resident(submitted_case().resident_id, phone="+358401234567")
    resident.phone_contact_allowed = True
    resident.withdraw_service_consents(T0)
    events = list(resident_events(resident, resident.pull_events()))
    assert [type(e).__name__ for e in events] == [
        "ServiceConsentsWithdrawn",
        "ResidentContactUpdated",
    ]
    assert events[1].phone_contact_allowed is False


def test_a_name_goes_only_to_the_restricted_names_topic_and_only_when_it_changes() -> None:
    from careflow.contracts.registry import TOPICS

    resident = Resident(submitted_case().resident_id)
    contact = {
        "communication_language": "fi",
        "email": None,
        "phone": None,
        "email_notifications": False,
        "sms_notifications": False,
        "phone_contact_allowed": False,
    }
    resident.update_contact(now=T0, name="Maija Virtanen", **contact)  # type: ignore[arg-type]
    first = list(resident_events(resident, resident.pull_events()))
    [named] = [e for e in first if type(e).__name__ == "ResidentNameChanged"]
    assert named.name == "Maija Virtanen"  # type: ignore[attr-defined]
    assert TOPICS.for_event(named).readers == ("workqueue",)
    assert all("Maija" not in e.model_dump_json() for e in first if e is not named)

    resident.update_contact(now=T0, name="Maija Virtanen", **contact)  # type: ignore[arg-type]
    same = list(resident_events(resident, resident.pull_events()))
    assert "ResidentNameChanged" not in [type(e).__name__ for e in same]

    resident.update_contact(now=T0, name=None, **contact)  # type: ignore[arg-type]
    [cleared] = [
        e
        for e in resident_events(resident, resident.pull_events())
        if type(e).__name__ == "ResidentNameChanged"
    ]
    assert cleared.name is None  # type: ignore[attr-defined]


def test_a_p0_submission_publishes_the_emergency_flag_and_its_rule_set() -> None:
    from careflow.intake.domain.events import CaseOpened

    from .builders import CHEST_PAIN

    case = submitted_case(answers=CHEST_PAIN)
    [event] = case_events(case, [CaseOpened(T0)])
    assert isinstance(event, c.CaseSubmitted)
    assert (event.urgency, event.call_emergency_number) == ("P0", True)
    assert event.urgency_rules == "symptoms-1"


def test_a_non_emergency_submission_is_not_flagged() -> None:
    from careflow.intake.domain.events import CaseOpened

    [event] = case_events(submitted_case(), [CaseOpened(T0)])
    assert (event.urgency, event.call_emergency_number) == ("P3", False)  # type: ignore[attr-defined]


def test_consents_given_again_are_published_with_the_consent_state() -> None:
    resident = Resident(submitted_case().resident_id, phone="+358401234567")
    resident.withdraw_service_consents(T0)
    withdrawn = list(resident_events(resident, resident.pull_events()))
    assert withdrawn[1].service_consents is False  # type: ignore[attr-defined]
    resident.give_service_consents(T0)
    events = list(resident_events(resident, resident.pull_events()))
    assert [type(e).__name__ for e in events] == ["ServiceConsentsGiven", "ResidentContactUpdated"]
    assert events[1].service_consents is True  # type: ignore[attr-defined]
    assert events[1].phone_contact_allowed is False  # type: ignore[attr-defined]
