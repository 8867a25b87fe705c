"""Reads with an in-memory unit of work: a professional's read is audited, the resident's list."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from careflow.intake.application import read_case as reads
from careflow.intake.application.submit_form import submit_form
from careflow.intake.domain.bookings import Booking
from careflow.intake.domain.errors import NotFound
from careflow.shared.audit import AuditQuery, Purpose

from .builders import Clock, symptom_form
from .fakes import FakeDatabase, intake_on, me, nurse, submitted


async def test_a_professionals_read_is_audited_in_the_same_transaction() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    other = await submitted(db, clock, who)
    page = await reads.read_case(intake_on(db, clock), nurse("nurse-7"), case_id)
    assert page["id"] == case_id
    assert [c["id"] for c in page["other_open_cases"]] == [other]
    [record] = db.state.audit
    assert (record["professional_id"], record["case_id"], record["resident_id"]) == (
        "nurse-7",
        case_id,
        who.resident_id,
    )
    assert record["action"] == "read_case"
    assert record["purpose"] == Purpose.CARE


async def test_the_audit_query_pages_the_organisations_reads_newest_first_by_time() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    intake = intake_on(db, clock)
    start = clock()
    for reader in ("nurse-1", "nurse-2", "nurse-3"):
        clock.advance(minutes=1)
        await reads.read_case(intake, nurse(reader), case_id)
    auditor = nurse("auditor-1")
    elsewhere = await reads.query_audit(intake, nurse("a", organisation="org-2"), AuditQuery())
    assert elsewhere.items == []

    first = await reads.query_audit(intake, auditor, AuditQuery(limit=2))
    assert [r.actor for r in first.items] == ["nurse-3", "nurse-2"]
    assert {r.purpose for r in first.items} == {Purpose.CARE}
    assert first.next_cursor is not None
    rest = await reads.query_audit(intake, auditor, AuditQuery(limit=2, cursor=first.next_cursor))
    assert [r.actor for r in rest.items] == ["nurse-1"]
    assert rest.next_cursor is None
    window = AuditQuery(
        **{"from": start + timedelta(minutes=2), "to": start + timedelta(minutes=3)}
    )
    assert [r.actor for r in (await reads.query_audit(intake, auditor, window)).items] == [
        "nurse-2"
    ]


async def test_the_residents_own_read_is_not_audited_and_a_stranger_finds_nothing() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    page = await reads.read_case(intake_on(db, clock), who, case_id)
    assert "other_open_cases" not in page
    with pytest.raises(NotFound):
        await reads.read_case(intake_on(db, clock), me(), case_id)
    with pytest.raises(NotFound):
        await reads.read_case(intake_on(db, clock), nurse(organisation="org-2"), case_id)
    assert db.state.audit == []


async def test_my_cases_include_my_young_childrens_and_come_in_pages() -> None:
    db, clock = FakeDatabase(), Clock()
    child, adult_child = uuid.uuid4(), uuid.uuid4()
    guardian = me(children={child: date(2020, 5, 1), adult_child: date(2000, 1, 1)})
    mine = [await submitted(db, clock, guardian) for _ in range(2)]
    clock.advance(minutes=1)
    form = symptom_form(child_id=child)
    childs = (await submit_form(intake_on(db, clock), guardian, form, None)).case_id
    await submitted(db, clock, me(resident_id=adult_child))
    page, total = await reads.list_my_cases(intake_on(db, clock), guardian, limit=2, offset=0)
    rest, _ = await reads.list_my_cases(intake_on(db, clock), guardian, limit=2, offset=2)
    assert total == 3
    assert page[0]["id"] == childs
    assert {c["id"] for c in page + rest} == {childs, *mine}


async def test_the_case_page_lists_the_newest_other_open_cases_and_counts_them_all() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    others = []
    for _ in range(reads.MAX_LISTED + 2):
        clock.advance(minutes=1)
        others.append(await submitted(db, clock, who))

    page = await reads.read_case(intake_on(db, clock), nurse(), case_id)

    newest = list(reversed(others))[: reads.MAX_LISTED]
    assert [c["id"] for c in page["other_open_cases"]] == newest
    assert page["other_open_cases_total"] == reads.MAX_LISTED + 2


async def test_the_case_page_lists_the_latest_starting_bookings_and_counts_them_all() -> None:
    db, clock, who = FakeDatabase(), Clock(), me()
    case_id = await submitted(db, clock, who)
    starts = [clock() + timedelta(days=d) for d in range(reads.MAX_LISTED + 3)]
    for i, start in enumerate(starts):
        booking = Booking(id=f"b-{i}", case_id=case_id, organisation_id="org-1")
        booking.confirm(start, start + timedelta(hours=1), clock(), None, None)
        db.state.bookings[booking.id] = booking

    for reader in (who, nurse()):
        page = await reads.read_case(intake_on(db, clock), reader, case_id)

        assert [b["starts_at"] for b in page["bookings"]] == starts[3:]  # in start order
        assert page["bookings_total"] == reads.MAX_LISTED + 3
