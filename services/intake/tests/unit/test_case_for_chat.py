"""Messaging's request for a chat moved to non-urgent opens one professional-created case."""

from __future__ import annotations

import uuid

from careflow.contracts import cases as c
from careflow.contracts.chats import ChatCaseRequested
from careflow.intake.application.create_case import create_case_for_chat

from .builders import T0
from .fakes import CountingMetrics, FakeDatabase

RESIDENT = uuid.uuid4()


def _request(case_id: uuid.UUID) -> ChatCaseRequested:
    return ChatCaseRequested(
        chat_id=uuid.uuid4(), organisation_id="org-3", case_id=case_id, resident_id=RESIDENT,
        language="sv", requested_by="nurse-4", unit_id="unit-2", requested_at=T0,
    )  # fmt: skip


async def test_the_request_opens_a_chat_case_with_the_requested_id_in_the_chats_organisation() -> (
    None
):
    db, case_id = FakeDatabase(), uuid.uuid4()
    uow = db.uow()
    async with uow:
        assert await create_case_for_chat(_request(case_id), uow, CountingMetrics()) == case_id
        await uow.commit()
    case = db.state.cases[case_id]
    assert (case.resident_id, case.organisation_id, case.unit_id) == (RESIDENT, "org-3", "unit-2")
    assert (case.kind, case.language, case.created_by, case.taken_by) == (
        "chat_conversation",
        "sv",
        "nurse-4",
        "nurse-4",
    )
    created = [e for e in db.state.outbox if isinstance(e, c.CaseCreatedByProfessional)]
    assert [(e.case_id, e.kind) for e in created] == [(case_id, "chat_conversation")]


async def test_a_repeated_request_opens_no_second_case_and_announces_nothing_more() -> None:
    db, case_id = FakeDatabase(), uuid.uuid4()
    for _ in range(2):
        uow = db.uow()
        async with uow:
            await create_case_for_chat(_request(case_id), uow, CountingMetrics())
            await uow.commit()
    assert list(db.state.cases) == [case_id]
    assert db.events == [c.CaseCreatedByProfessional.event_type]
