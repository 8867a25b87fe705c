"""Use cases with an in-memory unit of work: building the queue from case events, commands."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from careflow.contracts import cases as c
from careflow.contracts.bookings import BookingCancelled
from careflow.workqueue.application import commands, reactions
from careflow.workqueue.application.ports import Actor
from careflow.workqueue.domain.errors import AlreadyTaken, InvalidState, ItemNotFound
from careflow.workqueue.domain.model import QueueItem, Status

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


class FakeItems:
    def __init__(self) -> None:
        self.rows: dict[uuid.UUID, QueueItem] = {}
        self.parked: list[tuple[uuid.UUID, str, dict[str, Any]]] = []

    async def get(self, case_id, *, for_update=False):  # type: ignore[no-untyped-def]
        return self.rows.get(case_id)

    async def add(self, item):  # type: ignore[no-untyped-def]
        assert item.case_id not in self.rows
        self.rows[item.case_id] = item

    async def update(self, item):  # type: ignore[no-untyped-def]
        self.rows[item.case_id] = item

    async def park(self, case_id, event_id, event_type, payload, at):  # type: ignore[no-untyped-def]
        self.parked.append((case_id, event_type, payload))

    async def get_or_parked(self, case_id):  # type: ignore[no-untyped-def]
        if case_id in self.rows:
            return self.rows[case_id], []
        mine = [(t, p) for cid, t, p in self.parked if cid == case_id]
        self.parked = [row for row in self.parked if row[0] != case_id]
        return None, mine


class FakeAudit:
    def __init__(self) -> None:
        self.records: list[Any] = []

    async def record(self, records):  # type: ignore[no-untyped-def]
        self.records.extend(records)


class FakeOutbox:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def add(self, event, *, occurred_at=None):  # type: ignore[no-untyped-def]
        self.events.append(event)
        return "id"


class FakeUoW:
    def __init__(self) -> None:
        self.items, self.audit, self.outbox = FakeItems(), FakeAudit(), FakeOutbox()
        self.commits = 0

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


def submitted(**overrides: Any) -> c.CaseSubmitted:
    fields: dict[str, Any] = {
        "case_id": uuid.uuid4(),
        "resident_id": uuid.uuid4(),
        "organisation_id": "org-1",
        "group_id": "nurses",
        "form_kind": "symptom_assessment",
        "identification": "identified",
        "language": "fi",
        "urgency": "P3",
        "phone_contact_allowed": True,
        "submitted_at": NOW - timedelta(hours=1),
    }
    return c.CaseSubmitted(**(fields | overrides))


def closed(event: c.CaseSubmitted) -> c.CaseClosed:
    return c.CaseClosed(
        case_id=event.case_id,
        resident_id=event.resident_id,
        reason="resident_before_taken",
        closed_by="resident",
        closed_at=NOW,
    )


async def test_a_submitted_case_enters_the_queue_and_is_announced(build):
    uow, event = FakeUoW(), submitted()
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    item = uow.items.rows[event.case_id]
    assert (item.status, item.urgency, item.group_id) == (Status.FREE, "P3", "nurses")
    assert [e.event_type for e in uow.outbox.events] == ["careflow.queue_item.added.v1"]


async def test_the_same_case_announced_twice_is_one_item(build):
    uow, event = FakeUoW(), submitted()
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    assert len(uow.items.rows) == 1
    assert len(uow.outbox.events) == 1


async def test_a_professional_created_appointment_case_is_the_creators_task(build):
    uow = FakeUoW()
    event = c.CaseCreatedByProfessional(
        case_id=uuid.uuid4(),
        resident_id=uuid.uuid4(),
        organisation_id="org-1",
        group_id="nurses",
        kind="appointment",
        created_by="pro-a",
        language="en",
        created_at=NOW,
    )
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    item = uow.items.rows[event.case_id]
    assert (item.status, item.assignee, item.case_kind) == (Status.TAKEN, "pro-a", "appointment")
    assert uow.outbox.events[0].assigned_to == "pro-a"


async def test_an_event_for_an_unknown_case_is_parked_then_applied(build):
    uow, event = FakeUoW(), submitted()
    proposal = c.ClosingProposed(
        case_id=event.case_id,
        resident_id=event.resident_id,
        proposal_id=uuid.uuid4(),
        proposed_by="resident",
        proposed_at=NOW,
    )
    await reactions.on_case_follow_up(proposal, "evt-1", uow, now=NOW)
    assert uow.items.rows == {}
    assert len(uow.items.parked) == 1
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    assert uow.items.rows[event.case_id].resident_proposed_closing
    assert uow.items.parked == []


async def test_a_case_closed_before_its_submission_arrived_never_appears(build):
    uow, event = FakeUoW(), submitted()
    await reactions.on_case_follow_up(closed(event), "evt-1", uow, now=NOW)
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    assert uow.items.rows[event.case_id].status is Status.REMOVED
    assert uow.outbox.events == []


async def test_closing_a_free_case_removes_it_with_an_event(build):
    uow, event = FakeUoW(), submitted()
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    await reactions.on_case_follow_up(closed(event), "evt-2", uow, now=NOW)
    assert uow.outbox.events[-1].event_type == "careflow.queue_item.removed.v1"


@pytest.mark.parametrize(
    ("follow_up", "cause"),
    [
        (
            lambda e: c.QuestionnaireFilled(
                case_id=e.case_id, resident_id=e.resident_id, filled_at=NOW
            ),
            "questionnaire_filled",
        ),
        (
            lambda e: c.GoalEdited(
                case_id=e.case_id,
                resident_id=e.resident_id,
                goal_id=uuid.uuid4(),
                edited_by="resident",
                edited_at=NOW,
            ),
            "goal_edited",
        ),
        (
            lambda e: c.ClosingObjected(
                case_id=e.case_id,
                resident_id=e.resident_id,
                proposal_id=uuid.uuid4(),
                objected_at=NOW,
            ),
            "resident_message",
        ),
        (
            lambda e: c.ClosingProposed(
                case_id=e.case_id,
                resident_id=e.resident_id,
                proposal_id=uuid.uuid4(),
                proposed_by="resident",
                proposed_at=NOW,
            ),
            "resident_proposed_closing",
        ),
    ],
)
async def test_resident_actions_clear_incomplete(build, follow_up, cause):
    uow, event = FakeUoW(), submitted()
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    actor = Actor("pro-a", "org-1")
    await commands.take_item(uow, actor, event.case_id, now=NOW)
    await commands.mark_incomplete(uow, actor, event.case_id, now=NOW)
    await reactions.on_case_follow_up(follow_up(event), "evt", uow, now=NOW)
    assert uow.items.rows[event.case_id].status is Status.TAKEN
    assert uow.outbox.events[-1].cleared_by == cause


async def test_a_professionals_goal_edit_does_not_clear_incomplete(build):
    uow, event = FakeUoW(), submitted()
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    actor = Actor("pro-a", "org-1")
    await commands.take_item(uow, actor, event.case_id, now=NOW)
    await commands.mark_incomplete(uow, actor, event.case_id, now=NOW)
    edit = c.GoalEdited(
        case_id=event.case_id,
        resident_id=event.resident_id,
        goal_id=uuid.uuid4(),
        edited_by="professional",
        professional_id="pro-a",
        edited_at=NOW,
    )
    await reactions.on_case_follow_up(edit, "evt", uow, now=NOW)
    assert uow.items.rows[event.case_id].status is Status.INCOMPLETE


async def test_take_commits_once_audits_and_emits(build):
    uow, event = FakeUoW(), submitted()
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    await commands.take_item(uow, Actor("pro-a", "org-1"), event.case_id, now=NOW)
    assert uow.commits == 1
    assert [(r.action.value, r.purpose) for r in uow.audit.records] == [("take_task", "queue_work")]
    assert uow.outbox.events[-1].event_type == "careflow.queue_item.taken.v1"


async def test_a_second_take_is_refused_without_commit(build):
    uow, event = FakeUoW(), submitted()
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    await commands.take_item(uow, Actor("pro-a", "org-1"), event.case_id, now=NOW)
    with pytest.raises(AlreadyTaken):
        await commands.take_item(uow, Actor("pro-b", "org-1"), event.case_id, now=NOW)
    assert uow.commits == 1


async def test_another_organisation_cannot_find_the_task(build):
    uow, event = FakeUoW(), submitted()
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    with pytest.raises(ItemNotFound):
        await commands.take_item(uow, Actor("pro-x", "org-2"), event.case_id, now=NOW)


async def test_a_p0_submission_is_recorded_as_an_emergency_that_nobody_takes(build):
    uow, event = FakeUoW(), submitted(urgency="P0")
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    assert uow.items.rows[event.case_id].status is Status.EMERGENCY
    assert [e.urgency for e in uow.outbox.events] == ["P0"]  # the desktop's alert
    with pytest.raises(InvalidState):
        await commands.take_item(uow, Actor("pro-a", "org-1"), event.case_id, now=NOW)
    assert uow.commits == 0


def _cancelled(
    event: c.CaseSubmitted, *, by: str = "resident", org: str = "org-1"
) -> BookingCancelled:
    return BookingCancelled(
        booking_id=f"bk-{uuid.uuid4().hex[:8]}",
        case_id=event.case_id,
        organisation_id=org,
        cancelled_by=by,  # type: ignore[arg-type]
        cancelled_at=NOW,
    )


async def _incomplete(uow: FakeUoW, build: Any) -> c.CaseSubmitted:
    event = submitted()
    await reactions.on_case_created(event, uow, policies=build.policies, now=NOW)
    actor = Actor("pro-a", "org-1")
    await commands.take_item(uow, actor, event.case_id, now=NOW)
    await commands.mark_incomplete(uow, actor, event.case_id, now=NOW)
    return event


async def test_the_resident_cancelling_a_booking_clears_incomplete(build):
    uow = FakeUoW()
    event = await _incomplete(uow, build)
    await reactions.on_booking_cancelled(_cancelled(event), uow, now=NOW)
    assert uow.items.rows[event.case_id].status is Status.TAKEN
    assert uow.outbox.events[-1].cleared_by == "booking_cancelled"


@pytest.mark.parametrize(
    ("by", "org"), [("professional", "org-1"), ("system", "org-1"), ("resident", "org-2")]
)
async def test_a_cancellation_not_by_the_resident_or_from_another_organisation_changes_nothing(
    build, by, org
):
    uow = FakeUoW()
    event = await _incomplete(uow, build)
    published = len(uow.outbox.events)
    await reactions.on_booking_cancelled(_cancelled(event, by=by, org=org), uow, now=NOW)
    assert uow.items.rows[event.case_id].status is Status.INCOMPLETE
    assert len(uow.outbox.events) == published


async def test_a_cancellation_for_a_case_the_queue_does_not_know_is_not_parked(build):
    uow = FakeUoW()
    await reactions.on_booking_cancelled(_cancelled(submitted()), uow, now=NOW)
    assert (uow.items.rows, uow.items.parked, uow.outbox.events) == ({}, [], [])
