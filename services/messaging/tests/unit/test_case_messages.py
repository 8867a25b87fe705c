"""The case-message use cases on an in-memory unit of work: who writes, what each message
sends, audit, and refusals that change nothing."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from careflow.messaging.application.case_messages import CaseMessages
from careflow.messaging.application.ports import Professional, Resident
from careflow.messaging.domain.errors import (
    InvalidRequest,
    InvalidState,
    NotFound,
    SendLimitReached,
)
from careflow.messaging.domain.messages import CaseFacts, SendLimit

from .fakes import FakeDatabase

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TEXT = "My rash is worse"


def setup(**case: object) -> tuple[FakeDatabase, CaseMessages, CaseFacts]:
    db = FakeDatabase()
    facts = CaseFacts(
        case_id=uuid.uuid4(),
        resident_id=uuid.uuid4(),
        organisation_id="org-1",
        language="fi",
        identification="identified",
        updated_at=NOW,
    )
    facts = CaseFacts(**(facts.__dict__ | case))  # type: ignore[arg-type]
    db.cases.rows[facts.case_id] = facts
    use_cases = CaseMessages(db.uow, lambda: NOW, SendLimit(2, timedelta(minutes=1)))
    return db, use_cases, facts


def nurse(org: str = "org-1", sub: str = "nurse-1") -> Professional:
    return Professional(sub, org, "unit-1")


async def test_a_residents_message_announces_itself_without_text_and_notifies_nobody() -> None:
    db, cases, case = setup()
    await cases.write_as_resident(Resident(case.resident_id), case.case_id, TEXT)
    [sent] = db.outbox.events
    assert sent.event_type == "careflow.message.sent.v1"
    assert (sent.author, sent.unread_by_professionals) == ("resident", 1)
    assert TEXT not in sent.model_dump_json()


async def test_a_professionals_message_asks_to_notify_the_resident() -> None:
    db, cases, case = setup()
    await cases.write_as_professional(nurse(), case.case_id, TEXT)
    types = [e.event_type for e in db.outbox.events]
    assert types == ["careflow.message.sent.v1", "careflow.notification.requested.v1"]
    request = db.outbox.events[1]
    assert (request.resident_id, request.purpose, request.case_id) == (
        case.resident_id,
        "new_message",
        case.case_id,
    )


async def test_a_guardian_writes_on_the_childs_case_and_a_stranger_finds_nothing() -> None:
    db, cases, case = setup(proxy_contact=True)
    await cases.write_as_resident(
        Resident(uuid.uuid4(), children=frozenset({case.resident_id})), case.case_id, TEXT
    )
    with pytest.raises(NotFound):
        await cases.write_as_resident(Resident(uuid.uuid4()), case.case_id, TEXT)
    with pytest.raises(NotFound):
        await cases.read_as_professional(nurse("org-2"), case.case_id, before=None, limit=10)
    assert len(db.messages.rows) == 1


async def test_a_professionals_read_is_audited_a_residents_is_not() -> None:
    db, cases, case = setup()
    await cases.read_as_resident(Resident(case.resident_id), case.case_id, before=None, limit=10)
    assert db.audit.records == []
    await cases.read_as_professional(nurse(), case.case_id, before=None, limit=10)
    [record] = db.audit.records
    assert (record.professional_id, record.case_id, record.purpose) == (
        "nurse-1",
        case.case_id,
        "care",
    )


async def test_marking_read_sets_the_professionals_unread_count_to_zero() -> None:
    db, cases, case = setup()
    me = Resident(case.resident_id)
    await cases.write_as_resident(me, case.case_id, "one")
    await cases.write_as_resident(me, case.case_id, "two")
    state = await cases.mark_read_as_professional(nurse(), case.case_id)
    assert state.read_seq == 2
    read = db.outbox.events[-1]
    assert (read.event_type, read.unread_by_professionals) == ("careflow.message.read.v1", 0)


@pytest.mark.parametrize(
    ("case", "error"),
    [
        ({"identification": "anonymous"}, InvalidState),
        ({"closed_at": NOW, "closing_reason": "professional_without_consent"}, InvalidState),
    ],
)
async def test_refused_writes_store_and_send_nothing(case: dict, error: type) -> None:
    db, cases, facts = setup(**case)
    with pytest.raises(error):
        await cases.write_as_professional(nurse(), facts.case_id, TEXT)
    with pytest.raises(InvalidRequest):
        await cases.write_as_resident(Resident(facts.resident_id), facts.case_id, "ftp://x")
    assert (db.messages.rows, db.outbox.events, db.commits) == ([], [], 0)


async def test_the_third_message_in_a_minute_is_refused_with_the_wait() -> None:
    db, cases, case = setup()
    me = Resident(case.resident_id)
    await cases.write_as_resident(me, case.case_id, "one")
    await cases.write_as_resident(me, case.case_id, "two")
    with pytest.raises(SendLimitReached) as refused:
        await cases.write_as_resident(me, case.case_id, "three")
    assert refused.value.retry_after == 60
    assert len(db.messages.rows) == 2
