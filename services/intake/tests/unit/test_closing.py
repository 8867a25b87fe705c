"""Closing rules: before taken, proposals, the 72-hour window, without consent."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from careflow.intake.domain.case import Case
from careflow.intake.domain.errors import (
    ClosedWithoutConsent,
    InvalidInput,
    NotPermitted,
    WrongState,
)
from careflow.intake.domain.events import (
    CaseWasClosed,
    ClosingProposalWasRejected,
    ClosingWasObjected,
    ClosingWasProposed,
    CoachingWasEnded,
)

from .builders import T0, Clock, submitted_case, taken_case


def test_the_resident_closes_a_case_nobody_has_taken() -> None:
    case = submitted_case()
    case.close_before_taken(T0)
    [closed] = case.pull_events()
    assert isinstance(closed, CaseWasClosed)
    assert (closed.reason, closed.closed_by) == ("resident_before_taken", "resident")
    assert case.hidden_from_professionals


def test_the_resident_cannot_close_directly_once_a_professional_took_the_case() -> None:
    with pytest.raises(WrongState):
        taken_case().close_before_taken(T0)


def test_a_closed_case_cannot_be_closed_again() -> None:
    case = submitted_case()
    case.close_before_taken(T0)
    with pytest.raises(WrongState):
        case.close_before_taken(T0)


def test_a_professionals_proposal_gives_the_resident_72_hours() -> None:
    case = taken_case()
    case.propose_closing("professional", T0, "pro-1")
    [proposed] = case.pull_events()
    assert isinstance(proposed, ClosingWasProposed)
    assert (proposed.deadline - T0).total_seconds() == 72 * 3600
    assert case.closes_at == proposed.deadline


def test_the_case_stays_open_one_second_before_the_72_hours_end() -> None:
    clock = Clock()
    case = taken_case()
    case.propose_closing("professional", clock(), "pro-1")
    clock.advance(hours=72, seconds=-1)
    assert case.expire_proposal(clock()) is False
    assert not case.closed


def test_the_case_closes_by_itself_when_72_hours_pass_without_objection() -> None:
    clock = Clock()
    case = taken_case()
    proposal = case.propose_closing("professional", clock(), "pro-1")
    case.pull_events()
    clock.advance(hours=72)
    assert case.expire_proposal(clock()) is True
    [closed] = case.pull_events()
    assert isinstance(closed, CaseWasClosed)
    assert (closed.reason, closed.closed_by, closed.professional_id, closed.proposal_id) == (
        "proposal_expired",
        "system",
        "pro-1",
        proposal,
    )


def test_expiring_twice_closes_once() -> None:
    clock = Clock()
    case = taken_case()
    case.propose_closing("professional", clock(), "pro-1")
    clock.advance(hours=80)
    assert case.expire_proposal(clock()) is True
    assert case.expire_proposal(clock()) is False
    assert sum(isinstance(e, CaseWasClosed) for e in case.pull_events()) == 1


def test_an_objection_within_the_window_keeps_the_case_open() -> None:
    clock = Clock()
    case = taken_case()
    proposal = case.propose_closing("professional", clock(), "pro-1")
    clock.advance(hours=71, minutes=59)
    message = uuid.uuid4()
    case.object_to_closing(proposal, clock(), message)
    clock.advance(hours=10)
    assert case.expire_proposal(clock()) is False
    assert isinstance(case.pull_events()[-1], ClosingWasObjected)
    assert case.closes_at is None


def test_an_objection_at_the_deadline_is_too_late() -> None:
    clock = Clock()
    case = taken_case()
    proposal = case.propose_closing("professional", clock(), "pro-1")
    clock.advance(hours=72)
    with pytest.raises(WrongState):
        case.object_to_closing(proposal, clock())


def test_the_resident_may_accept_a_professionals_proposal() -> None:
    case = taken_case()
    proposal = case.propose_closing("professional", T0, "pro-1")
    case.accept_closing(proposal, T0)
    assert case.closing is not None
    assert case.closing.reason == "resident_accepted"


def test_a_resident_proposal_has_no_deadline_and_never_closes_by_itself() -> None:
    clock = Clock()
    case = taken_case()
    case.propose_closing("resident", clock())
    assert case.closes_at is None
    clock.advance(days=30)
    assert case.expire_proposal(clock()) is False


def test_a_professional_rejects_the_residents_proposal() -> None:
    case = taken_case()
    proposal = case.propose_closing("resident", T0)
    case.pull_events()
    case.reject_closing(proposal, "pro-1", T0)
    [rejected] = case.pull_events()
    assert isinstance(rejected, ClosingProposalWasRejected)
    assert case.pending_proposal is None
    assert not case.closed


def test_a_professional_accepts_the_residents_proposal() -> None:
    case = taken_case()
    proposal = case.propose_closing("resident", T0)
    case.accept_resident_proposal(proposal, "pro-1", T0)
    assert case.closing is not None
    assert case.closing.reason == "professional_accepted"


def test_the_resident_cannot_reject_their_own_proposal_as_a_professional_would() -> None:
    case = taken_case()
    proposal = case.propose_closing("professional", T0, "pro-1")
    with pytest.raises(NotPermitted):
        case.reject_closing(proposal, "pro-2", T0)


def test_only_one_proposal_is_pending_at_a_time() -> None:
    case = taken_case()
    case.propose_closing("resident", T0)
    with pytest.raises(WrongState):
        case.propose_closing("professional", T0, "pro-1")


def test_a_professional_closes_without_consent_with_a_stated_reason() -> None:
    case = taken_case()
    pending = case.propose_closing("resident", T0)
    case.close_without_consent("pro-1", "Treatment continues at the hospital.", T0)
    assert case.closing is not None
    assert case.closing.reason == "professional_without_consent"
    assert case.closing.statement == "Treatment continues at the hospital."
    assert case.proposals[0].id == pending
    assert case.proposals[0].state == "superseded"


def test_closing_without_consent_needs_a_reason() -> None:
    with pytest.raises(InvalidInput):
        taken_case().close_without_consent("pro-1", "   ", T0)


def test_after_closing_the_resident_can_neither_accept_nor_object() -> None:
    case = taken_case()
    proposal = case.propose_closing("professional", T0, "pro-1")
    case.close_without_consent("pro-1", "Moved to another clinic.", T0)
    with pytest.raises(WrongState):
        case.object_to_closing(proposal, T0)
    with pytest.raises(WrongState):
        case.accept_closing(proposal, T0)


def test_closing_ends_ongoing_coaching() -> None:
    case = taken_case()
    coaching = case.attach_coaching("pro-1", T0)
    case.pull_events()
    case.close_without_consent("pro-1", "Done.", T0)
    ended = [e for e in case.pull_events() if isinstance(e, CoachingWasEnded)]
    assert [(e.coaching_id, e.reason) for e in ended] == [(coaching, "case_closed")]


def test_a_private_record_has_no_closing_proposals() -> None:
    case = submitted_case(for_myself=True, phone=None)
    with pytest.raises(WrongState):
        case.propose_closing("resident", T0)


def test_taking_is_remembered_and_late_news_of_a_closed_case_is_ignored() -> None:
    case = submitted_case()
    case.close_before_taken(T0)
    case.mark_taken("pro-1", T0)
    assert case.taken_by is None


# -- closed without consent: the resident can neither accept nor reply ----------


Answer = Callable[[Case, uuid.UUID, uuid.UUID, uuid.UUID], object]


def _closed_without_consent() -> tuple[Case, uuid.UUID, uuid.UUID, uuid.UUID]:
    """A taken case with a pending proposal, a task and a goal, then closed without consent."""
    case = taken_case()
    proposal = case.propose_closing("professional", T0, "pro-1")
    task = case.assign_task(
        kind="questionnaire",
        instruction="Fill the form",
        professional_id="pro-1",
        now=T0,
        today=T0.date(),
    )
    goal = case.set_goal("Drink enough", "together", T0, "pro-1")
    case.close_without_consent("pro-1", "No further care needed; see my message.", T0)
    case.pull_events()
    return case, proposal, task, goal


ANSWERS: dict[str, Answer] = {
    "accept": lambda case, p, t, g: case.accept_closing(p, T0),
    "object": lambda case, p, t, g: case.object_to_closing(p, T0, uuid.uuid4()),
    "propose": lambda case, p, t, g: case.propose_closing("resident", T0),
    "set_goal": lambda case, p, t, g: case.set_goal("My goal", "resident", T0),
    "edit_goal": lambda case, p, t, g: case.edit_goal(g, "Changed", "resident", T0),
    "questionnaire": lambda case, p, t, g: case.fill_questionnaire(t, T0),
    "reply": lambda case, p, t, g: case.require_resident_may_answer(),
}


@pytest.mark.parametrize("answer", ANSWERS.values(), ids=ANSWERS.keys())
def test_after_closing_without_consent_the_resident_cannot_answer(answer: Answer) -> None:
    case, proposal, task, goal = _closed_without_consent()
    with pytest.raises(ClosedWithoutConsent, match="without consent"):
        answer(case, proposal, task, goal)
    assert case.pull_events() == []
    assert case.resident_may_answer is False


def test_closed_without_consent_is_a_wrong_state_answered_409() -> None:
    assert issubclass(ClosedWithoutConsent, WrongState)


def test_a_case_closed_otherwise_refuses_with_the_plain_closed_error() -> None:
    case = submitted_case()
    case.close_before_taken(T0)
    with pytest.raises(WrongState) as refused:
        case.set_goal("My goal", "resident", T0)
    assert not isinstance(refused.value, ClosedWithoutConsent)


def test_an_open_case_takes_the_residents_answers() -> None:
    case = taken_case()
    assert case.resident_may_answer is True
    case.require_resident_may_answer()
