"""Messaging's events on the queue item: unread resident messages, and a resident's
message clearing "incomplete"."""

from __future__ import annotations

import uuid
from typing import Any

from careflow.contracts.messages import MessageSent, MessagesRead
from careflow.workqueue.application import commands, reactions
from careflow.workqueue.application.ports import Actor
from careflow.workqueue.domain.model import Status

from .test_reactions import NOW, FakeUoW, submitted


def sent(case: Any, *, author: str = "resident", unread: int = 1) -> MessageSent:
    return MessageSent(
        case_id=case.case_id,
        resident_id=case.resident_id,
        organisation_id=case.organisation_id,
        unread_by_professionals=unread,
        message_id=uuid.uuid4(),
        author=author,  # type: ignore[arg-type]
        sent_at=NOW,
    )


def read(case: Any) -> MessagesRead:
    return MessagesRead(
        case_id=case.case_id,
        resident_id=case.resident_id,
        organisation_id=case.organisation_id,
        unread_by_professionals=0,
        side="professional",
        read_at=NOW,
    )


async def test_residents_messages_show_unread_on_the_item_until_a_professional_reads(build):
    uow, case = FakeUoW(), submitted()
    await reactions.on_case_created(case, uow, policies=build.policies, now=NOW)
    await reactions.on_case_follow_up(sent(case, unread=1), "e1", uow, now=NOW)
    await reactions.on_case_follow_up(sent(case, unread=2), "e2", uow, now=NOW)
    assert uow.items.rows[case.case_id].unread_messages == 2
    await reactions.on_case_follow_up(read(case), "e3", uow, now=NOW)
    assert uow.items.rows[case.case_id].unread_messages == 0


async def test_a_residents_message_clears_incomplete_and_a_professionals_does_not(build):
    uow, case = FakeUoW(), submitted()
    await reactions.on_case_created(case, uow, policies=build.policies, now=NOW)
    actor = Actor("pro-a", "org-1")
    await commands.take_item(uow, actor, case.case_id, now=NOW)
    await commands.mark_incomplete(uow, actor, case.case_id, now=NOW)
    await reactions.on_case_follow_up(
        sent(case, author="professional", unread=0), "e", uow, now=NOW
    )
    assert uow.items.rows[case.case_id].status is Status.INCOMPLETE
    await reactions.on_case_follow_up(sent(case), "e2", uow, now=NOW)
    assert uow.items.rows[case.case_id].status is Status.TAKEN
    assert uow.outbox.events[-1].cleared_by == "resident_message"


async def test_a_message_that_overtakes_its_case_is_parked_then_applied(build):
    uow, case = FakeUoW(), submitted()
    await reactions.on_case_follow_up(sent(case, unread=3), "e1", uow, now=NOW)
    assert uow.items.rows == {}
    await reactions.on_case_created(case, uow, policies=build.policies, now=NOW)
    assert uow.items.rows[case.case_id].unread_messages == 3
