"""Working a case together, with an in-memory unit of work: goals, tasks, coachings, summary."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from careflow.contracts import cases as c
from careflow.intake.application import collaboration
from careflow.intake.domain.errors import InvalidInput, NotFound, WrongState

from .builders import Clock
from .fakes import FakeDatabase, intake_on, me, nurse, submitted


async def test_a_professional_sets_a_goal_together_with_the_resident() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    goal_id = await collaboration.add_goal(
        intake_on(db, clock), nurse("nurse-2"), case_id, "Walk daily", set_by="together"
    )
    [goal] = db.state.cases[case_id].goals
    assert (goal.id, goal.text, goal.set_by, goal.professional_id) == (
        goal_id,
        "Walk daily",
        "together",
        "nurse-2",
    )
    [event] = [e for e in db.state.outbox if isinstance(e, c.GoalSet)]
    assert (event.goal_id, event.set_by) == (goal_id, "together")
    assert "Walk" not in event.model_dump_json()  # the text stays in intake


async def test_a_residents_own_goal_names_no_professional() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    await collaboration.add_own_goal(intake_on(db, clock), who, case_id, "Sleep more")
    [goal] = db.state.cases[case_id].goals
    assert (goal.set_by, goal.professional_id) == ("resident", None)


async def test_the_party_editing_a_goal_comes_from_the_actor() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    goal_id = await collaboration.add_goal(intake_on(db, clock), nurse(), case_id, "Walk")
    await collaboration.edit_goal(intake_on(db, clock), who, case_id, goal_id, "Walk 2 km")
    goal = db.state.cases[case_id].goals[0]
    assert (goal.text, goal.edited_by) == ("Walk 2 km", "resident")
    await collaboration.edit_goal(intake_on(db, clock), nurse("n-5"), case_id, goal_id, "Walk 3 km")
    [*_, edited] = [e for e in db.state.outbox if isinstance(e, c.GoalEdited)]
    assert (edited.edited_by, edited.professional_id) == ("professional", "n-5")


async def test_a_goal_with_markup_is_refused_and_nothing_is_kept() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    commits = db.commits
    with pytest.raises(InvalidInput):
        await collaboration.add_own_goal(intake_on(db, clock), who, case_id, "<b>walk</b>")
    with pytest.raises(NotFound):
        await collaboration.edit_goal(intake_on(db, clock), who, case_id, uuid.uuid4(), "x")
    assert db.state.cases[case_id].goals == []
    assert db.commits == commits


async def test_a_task_in_the_cases_language_and_the_resident_fills_the_questionnaire() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    task_id = await collaboration.add_task(
        intake_on(db, clock),
        nurse(),
        case_id,
        kind="questionnaire",
        instruction="Fill in https://example.org/form",
        latest_date=clock.now.date() + timedelta(days=7),
    )
    [task] = db.state.cases[case_id].tasks
    assert (task.id, task.language, task.start_date) == (task_id, "sv", clock.now.date())
    clock.advance(days=1)
    await collaboration.fill_questionnaire(intake_on(db, clock), who, case_id, task_id)
    assert db.state.cases[case_id].tasks[0].filled_at == clock.now
    assert db.events[-2:] == [c.TaskAssigned.event_type, c.QuestionnaireFilled.event_type]


async def test_a_task_starting_in_the_past_is_refused() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    with pytest.raises(InvalidInput, match="past"):
        await collaboration.add_task(
            intake_on(db, clock),
            nurse(),
            case_id,
            kind="action_instruction",
            instruction="Rest",
            start_date=clock.now.date() - timedelta(days=1),
        )
    assert db.state.cases[case_id].tasks == []


async def test_a_coaching_is_attached_and_ended_once() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    coaching_id = await collaboration.attach_coaching(intake_on(db, clock), nurse(), case_id)
    await collaboration.end_coaching(
        intake_on(db, clock), nurse(), case_id, coaching_id, completed=True
    )
    [coaching] = db.state.cases[case_id].coachings
    assert (coaching.id, coaching.end_reason) == (coaching_id, "completed")
    with pytest.raises(WrongState):
        await collaboration.end_coaching(
            intake_on(db, clock), nurse(), case_id, coaching_id, completed=False
        )
    assert db.events[-2:] == [c.CoachingAttached.event_type, c.CoachingEnded.event_type]


async def test_the_summary_is_stored_and_announces_nothing() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    before = list(db.events)
    await collaboration.write_summary(intake_on(db, clock), nurse(), case_id, "Improving.")
    assert db.state.cases[case_id].summary == "Improving."
    assert db.events == before
    assert "SummaryWasWritten" in [kind for cid, kind in db.state.timeline if cid == case_id]
