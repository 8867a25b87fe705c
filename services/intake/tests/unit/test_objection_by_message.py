"""A resident's message that objects to a closing proposal (messaging's event) records the
objection; the case then outlives the 72 hours."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from careflow.contracts import cases as c
from careflow.contracts.messages import MessageSent
from careflow.intake.application import closing
from careflow.intake.application.close_expired_proposals import ProposalCloser
from careflow.intake.application.on_message_events import on_message_sent

from .builders import Clock
from .fakes import FakeDatabase, intake_on, me, nurse, submitted


def sent(db: FakeDatabase, case_id: uuid.UUID, proposal: uuid.UUID | None, at: datetime, **kw):  # type: ignore[no-untyped-def]
    case = db.state.cases[case_id]
    fields = {
        "case_id": case_id,
        "resident_id": case.resident_id,
        "organisation_id": "org-1",
        "unread_by_professionals": 1,
        "message_id": uuid.uuid4(),
        "author": "resident",
        "sent_at": at,
        "objects_to_proposal_id": proposal,
    }
    return MessageSent(**(fields | kw))


async def _apply(db: FakeDatabase, event: MessageSent) -> None:
    async with db.uow() as uow:
        await on_message_sent(event, uow)
        await uow.commit()


async def test_an_objecting_message_keeps_the_case_open_past_72_hours() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    proposal = await closing.propose_closing(intake_on(db, clock), nurse(), case_id)
    message = sent(db, case_id, proposal, clock.advance(hours=70))
    await _apply(db, message)
    case = db.state.cases[case_id]
    assert (case.proposals[0].state, case.proposals[0].message_id) == (
        "objected",
        message.message_id,
    )
    assert db.events[-1] == c.ClosingObjected.event_type
    clock.advance(hours=5)
    assert await ProposalCloser(intake_on(db, clock)).close_due() == 0
    assert not db.state.cases[case_id].closed


async def test_a_message_written_in_time_counts_even_if_it_arrives_late() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    proposal = await closing.propose_closing(intake_on(db, clock), nurse(), case_id)
    written = clock.now + timedelta(hours=71, minutes=59)
    clock.advance(hours=72, minutes=1)
    await _apply(db, sent(db, case_id, proposal, written))
    assert db.state.cases[case_id].proposals[0].state == "objected"


async def test_messages_that_object_to_nothing_or_too_late_or_twice_change_nothing() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    proposal = await closing.propose_closing(intake_on(db, clock), nurse(), case_id)
    events = list(db.events)
    await _apply(db, sent(db, case_id, None, clock.now))  # a plain message
    await _apply(db, sent(db, case_id, proposal, clock.now, author="professional"))
    await _apply(db, sent(db, case_id, proposal, clock.now + timedelta(hours=72)))
    await _apply(db, sent(db, case_id, proposal, clock.now, resident_id=uuid.uuid4()))
    assert db.state.cases[case_id].proposals[0].state == "pending"
    assert db.events == events
    await _apply(db, sent(db, case_id, proposal, clock.now))
    await _apply(db, sent(db, case_id, proposal, clock.now))  # a second objection
    assert db.events.count(c.ClosingObjected.event_type) == 1
