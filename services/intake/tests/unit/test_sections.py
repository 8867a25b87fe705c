"""Goals, tasks, coaching and summary: text rules and the case's language."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from careflow.intake.domain.case import Case
from careflow.intake.domain.errors import InvalidInput, NotFound, WrongState
from careflow.intake.domain.events import GoalWasEdited, GoalWasSet, TaskWasAssigned

from .builders import T0, TODAY, taken_case


def test_a_goal_is_plain_text_up_to_1000_characters() -> None:
    case = taken_case()
    case.set_goal("x" * 1000, "professional", T0, "pro-1")
    with pytest.raises(InvalidInput):
        case.set_goal("x" * 1001, "professional", T0, "pro-1")


def test_a_goal_with_markup_is_refused() -> None:
    with pytest.raises(InvalidInput):
        taken_case().set_goal("<b>drink</b> water", "resident", T0)


def test_goals_are_set_by_professional_resident_or_together_and_edited_never_deleted() -> None:
    case = taken_case()
    goal = case.set_goal("Enough hydration", "together", T0, "pro-1")
    case.edit_goal(goal, "Two litres a day", "resident", T0)
    events = case.pull_events()
    assert isinstance(events[0], GoalWasSet)
    assert events[0].set_by == "together"
    assert isinstance(events[1], GoalWasEdited)
    assert events[1].professional_id is None
    assert [g.text for g in case.goals] == ["Two litres a day"]


def test_editing_an_unknown_goal_is_not_found() -> None:
    with pytest.raises(NotFound):
        taken_case().edit_goal(uuid.uuid4(), "x", "resident", T0)


def test_a_task_starts_today_by_default_and_is_in_the_case_language() -> None:
    case = taken_case()
    task_id = case.assign_task(
        kind="action_instruction", instruction="Measure.", professional_id="p", now=T0, today=TODAY
    )
    task = case.tasks[0]
    assert (task.id, task.start_date, task.language) == (task_id, TODAY, "sv")
    assert isinstance(case.pull_events()[0], TaskWasAssigned)


def test_a_task_may_end_no_earlier_than_it_starts() -> None:
    with pytest.raises(InvalidInput):
        taken_case().assign_task(
            kind="action_instruction",
            instruction="Measure.",
            professional_id="p",
            now=T0,
            today=TODAY,
            start_date=TODAY + timedelta(days=2),
            latest_date=TODAY + timedelta(days=1),
        )


def test_a_task_cannot_start_in_the_past() -> None:
    with pytest.raises(InvalidInput):
        taken_case().assign_task(
            kind="questionnaire",
            instruction="Fill it.",
            professional_id="p",
            now=T0,
            today=TODAY,
            start_date=TODAY - timedelta(days=1),
        )


@pytest.mark.parametrize(
    "text",
    ["See javascript:alert(1)", "Open ftp://host/x", "See data:text/html;base64,xx"],
)
def test_links_in_a_task_must_be_http_or_https(text: str) -> None:
    with pytest.raises(InvalidInput):
        taken_case().assign_task(
            kind="action_instruction", instruction=text, professional_id="p", now=T0, today=TODAY
        )


def test_https_links_and_clock_times_are_fine_in_a_task() -> None:
    taken_case().assign_task(
        kind="action_instruction",
        instruction="Read https://example.org/a and measure at 8:30.",
        professional_id="p",
        now=T0,
        today=TODAY,
    )


def test_a_questionnaire_task_can_be_filled_and_an_instruction_cannot() -> None:
    case = taken_case()
    q = case.assign_task(
        kind="questionnaire", instruction="Fill.", professional_id="p", now=T0, today=TODAY
    )
    a = case.assign_task(
        kind="action_instruction", instruction="Walk.", professional_id="p", now=T0, today=TODAY
    )
    case.fill_questionnaire(q, T0)
    with pytest.raises(WrongState):
        case.fill_questionnaire(a, T0)


def test_nothing_is_added_to_a_closed_case() -> None:
    case = taken_case()
    case.close_without_consent("pro-1", "Done.", T0)
    with pytest.raises(WrongState):
        case.set_goal("x", "resident", T0)
    with pytest.raises(WrongState):
        case.attach_coaching("pro-1", T0)
    with pytest.raises(WrongState):
        case.write_summary("pro-1", "x", T0)


def test_a_coaching_ends_once() -> None:
    case = taken_case()
    coaching = case.attach_coaching("pro-1", T0)
    case.end_coaching(coaching, T0)
    with pytest.raises(WrongState):
        case.end_coaching(coaching, T0)


def test_a_professional_created_case_is_taken_by_its_creator() -> None:
    case = Case.create_for_resident(
        resident_id=uuid.uuid4(),
        kind="wellbeing_check",
        language="fi",
        professional_id="pro-9",
        organisation_id="org-1",
        unit_id=None,
        group_id=None,
        now=T0,
    )
    assert case.taken_by == "pro-9"
    with pytest.raises(WrongState):
        case.close_before_taken(T0)


def test_a_professional_case_of_unknown_kind_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Case.create_for_resident(
            resident_id=uuid.uuid4(),
            kind="surgery",
            language="fi",
            professional_id="p",
            organisation_id="o",
            unit_id=None,
            group_id=None,
            now=T0,
        )


def test_the_summary_is_plain_text() -> None:
    case = taken_case()
    case.write_summary("pro-1", "Improving.", T0)
    assert case.summary == "Improving."
