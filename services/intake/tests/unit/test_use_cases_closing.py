"""Closing use cases with an in-memory unit of work: who may do what, what is stored and sent."""

from __future__ import annotations

import uuid

import pytest

from careflow.contracts import cases as c
from careflow.intake.application import closing
from careflow.intake.application.close_expired_proposals import ProposalCloser
from careflow.intake.domain.errors import NotFound, NotPermitted, WrongState
from careflow.intake.domain.sections import OBJECTION_WINDOW

from .builders import Clock
from .fakes import FakeDatabase, intake_on, me, nurse, submitted

PROPOSED = c.ClosingProposed.event_type
CLOSED = c.CaseClosed.event_type


async def test_a_professionals_proposal_waits_72_hours_for_the_resident() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    proposal_id = await closing.propose_closing(intake_on(db, clock), nurse("nurse-3"), case_id)
    case = db.state.cases[case_id]
    [proposal] = case.proposals
    assert (proposal.id, proposal.proposed_by, proposal.professional_id) == (
        proposal_id,
        "professional",
        "nurse-3",
    )
    assert case.closes_at == clock.now + OBJECTION_WINDOW
    [event] = [e for e in db.state.outbox if e.event_type == PROPOSED]
    assert (event.proposed_by, event.professional_id) == ("professional", "nurse-3")


async def test_the_resident_objects_in_time_and_the_case_stays_open() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    proposal_id = await closing.propose_closing(intake_on(db, clock), nurse(), case_id)
    clock.advance(hours=71)
    message = uuid.uuid4()
    await closing.object_to_proposal(
        intake_on(db, clock), who, case_id, proposal_id, message_id=message
    )
    case = db.state.cases[case_id]
    assert (case.proposals[0].state, case.proposals[0].message_id) == ("objected", message)
    assert not case.closed
    assert case.closes_at is None
    assert db.events[-1] == c.ClosingObjected.event_type


async def test_an_objection_after_72_hours_is_refused_and_changes_nothing() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    proposal_id = await closing.propose_closing(intake_on(db, clock), nurse(), case_id)
    commits, events = db.commits, list(db.events)
    clock.advance(hours=72)
    with pytest.raises(WrongState):
        await closing.object_to_proposal(
            intake_on(db, clock), who, case_id, proposal_id, message_id=None
        )
    assert db.state.cases[case_id].proposals[0].state == "pending"
    assert (db.commits, db.events) == (commits, events)


async def test_the_resident_accepts_a_professionals_proposal_and_the_case_closes() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    proposal_id = await closing.propose_closing(intake_on(db, clock), nurse("nurse-3"), case_id)
    await closing.accept_proposal(intake_on(db, clock), who, case_id, proposal_id)
    closed = db.state.cases[case_id].closing
    assert closed is not None
    assert (closed.reason, closed.closed_by, closed.professional_id) == (
        "resident_accepted",
        "resident",
        "nurse-3",
    )
    assert db.events[-1] == CLOSED


async def test_someone_elses_case_is_not_found_for_a_resident_and_another_organisation() -> None:
    db, clock = FakeDatabase(), Clock()
    case_id = await submitted(db, clock, me())
    commits = db.commits
    with pytest.raises(NotFound):
        await closing.propose_closing(intake_on(db, clock), me(), case_id)
    with pytest.raises(NotFound):
        await closing.propose_closing(intake_on(db, clock), nurse(organisation="org-2"), case_id)
    with pytest.raises(NotFound):
        await closing.propose_closing(intake_on(db, clock), nurse(), uuid.uuid4())
    assert db.commits == commits
    assert db.state.cases[case_id].proposals == []


async def test_a_professional_answers_the_residents_proposal_only() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    mine = await closing.propose_closing(intake_on(db, clock), who, case_id)
    assert db.state.cases[case_id].closes_at is None  # no deadline on a resident's proposal
    with pytest.raises(NotPermitted):
        await closing.accept_proposal(intake_on(db, clock), who, case_id, mine)
    await closing.reject_resident_proposal(intake_on(db, clock), nurse("nurse-4"), case_id, mine)
    assert db.state.cases[case_id].proposals[0].state == "rejected"
    [rejected] = [e for e in db.state.outbox if isinstance(e, c.ClosingProposalRejected)]
    assert rejected.rejected_by == "nurse-4"


async def test_a_professional_accepts_the_residents_proposal_and_the_case_closes() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    mine = await closing.propose_closing(intake_on(db, clock), who, case_id)
    await closing.accept_resident_proposal(intake_on(db, clock), nurse("nurse-4"), case_id, mine)
    closed = db.state.cases[case_id].closing
    assert closed is not None
    assert (closed.reason, closed.closed_by) == ("professional_accepted", "professional")


async def test_closing_without_consent_keeps_the_reason_here_and_sends_only_the_fact() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    await closing.close_without_consent(
        intake_on(db, clock), nurse(), case_id, reason="Moved to another region"
    )
    closed = db.state.cases[case_id].closing
    assert closed is not None
    assert (closed.reason, closed.statement) == (
        "professional_without_consent",
        "Moved to another region",
    )
    assert db.events[-1] == CLOSED
    assert "Moved" not in db.state.outbox[-1].model_dump_json()


async def test_the_resident_closes_before_anyone_took_the_case_but_not_after() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    free, taken = await submitted(db, clock, who), await submitted(db, clock, who)
    db.state.cases[taken].mark_taken("nurse-1", clock.now)
    await closing.close_before_taken(intake_on(db, clock), who, free)
    assert db.state.cases[free].closing.reason == "resident_before_taken"  # type: ignore[union-attr]
    commits = db.commits
    with pytest.raises(WrongState):
        await closing.close_before_taken(intake_on(db, clock), who, taken)
    assert db.state.cases[taken].closing is None
    assert db.commits == commits


async def test_the_closer_closes_unanswered_proposals_when_their_time_is_up() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    await closing.propose_closing(intake_on(db, clock), nurse(), case_id)
    closer = ProposalCloser(intake_on(db, clock))
    clock.advance(hours=71, minutes=59)
    assert await closer.close_due() == 0
    clock.advance(minutes=1)
    assert await closer.close_due() == 1
    closed = db.state.cases[case_id].closing
    assert closed is not None
    assert (closed.reason, closed.closed_by) == ("proposal_expired", "system")
    assert db.events.count(CLOSED) == 1
    assert await closer.close_due() == 0
