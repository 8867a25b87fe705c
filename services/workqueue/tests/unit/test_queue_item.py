"""Rules of one queue item: entering, take, transfer, urgency, incomplete, closing."""

from __future__ import annotations

import pytest

from careflow.workqueue.domain import events as ev
from careflow.workqueue.domain.errors import (
    AlreadyTaken,
    InvalidRequest,
    InvalidState,
    ItemNotFound,
    NotAllowed,
)
from careflow.workqueue.domain.model import DEFAULT_VIEW, ClearCause, Status


def test_a_submitted_case_enters_its_group_queue_as_a_free_task(build):
    item = build.item(group="nurses")
    assert item.status is Status.FREE
    assert item.assignee is None
    assert item.group_id == "nurses"


def test_entering_the_queue_emits_item_added(build):
    from careflow.workqueue.domain.model import QueueItem

    item = QueueItem.enter_queue(
        case_id=build.item().case_id,
        resident_id=build.item().resident_id,
        organisation_id="org-1",
        unit_id=None,
        group_id=None,
        case_kind="service_assessment",
        language="sv",
        proxy_contact=True,
        urgency=None,
        submitted_at=build.now,
        assignee=None,
        policy=build.policy,
        now=build.now,
    )
    assert [type(e) for e in item.pull_events()] == [ev.ItemAdded]
    assert item.urgency_rank == 9  # no class sorts after P8


def test_a_case_created_for_a_professional_enters_already_taken(build):
    item = build.item(assignee="pro-a")
    assert item.status is Status.TAKEN
    assert item.assignee == "pro-a"
    assert item.ever_taken


def test_a_p0_case_is_flagged_immediate(build):
    assert build.item(urgency="P0").immediate
    assert not build.item(urgency="P1").immediate


def test_take_moves_the_task_to_the_professional(build):
    item = build.item()
    item.take("pro-a", build.later())
    assert item.status is Status.TAKEN
    assert item.assignee == "pro-a"
    assert item.taken_at == build.later()
    assert item.pull_events() == [ev.ItemTaken(item.case_id, "pro-a", build.later())]


def test_taking_a_task_someone_else_took_is_refused(build):
    item = build.taken("pro-a")
    with pytest.raises(AlreadyTaken):
        item.take("pro-b", build.later())
    assert item.assignee == "pro-a"
    assert item.pull_events() == []


def test_taking_ones_own_task_again_changes_nothing(build):
    item = build.taken("pro-a")
    item.take("pro-a", build.later())
    assert item.pull_events() == []


def test_a_closed_task_cannot_be_taken(build):
    item = build.taken("pro-a")
    item.close(reason="professional_accepted", closed_at=build.now, now=build.now)
    with pytest.raises(InvalidState):
        item.take("pro-b", build.later())


def test_a_removed_task_is_not_found(build):
    item = build.item()
    item.close(reason="resident_before_taken", closed_at=build.now, now=build.now)
    with pytest.raises(ItemNotFound):
        item.take("pro-a", build.later())


def test_transfer_to_a_professional_makes_it_theirs(build):
    item = build.taken("pro-a")
    item.transfer("pro-a", to_professional_id="pro-b", now=build.later())
    assert (item.status, item.assignee) == (Status.TAKEN, "pro-b")
    assert item.pull_events() == [
        ev.ItemTransferred(item.case_id, "pro-a", "pro-b", None, build.later())
    ]


def test_transfer_to_a_group_frees_it_there(build):
    item = build.taken("pro-a", group="nurses")
    item.transfer("pro-a", to_group_id="doctors", now=build.later())
    assert (item.status, item.assignee, item.group_id) == (Status.FREE, None, "doctors")


def test_a_free_task_may_be_transferred_by_any_professional(build):
    item = build.item(group="nurses")
    item.transfer("pro-x", to_group_id="doctors", now=build.later())
    assert item.group_id == "doctors"


def test_someone_elses_task_cannot_be_transferred(build):
    item = build.taken("pro-a")
    with pytest.raises(NotAllowed):
        item.transfer("pro-b", to_group_id="doctors", now=build.later())


def test_an_admin_may_reassign_someone_elses_task(build):
    item = build.taken("pro-a")
    item.transfer("boss", to_professional_id="pro-c", may_reassign=True, now=build.later())
    assert item.assignee == "pro-c"


@pytest.mark.parametrize(
    ("professional", "group"), [(None, None), ("pro-b", "doctors")], ids=["none", "both"]
)
def test_transfer_needs_exactly_one_target(build, professional, group):
    item = build.taken("pro-a")
    with pytest.raises(InvalidRequest):
        item.transfer(
            "pro-a", to_professional_id=professional, to_group_id=group, now=build.later()
        )


def test_transfer_to_the_current_holder_is_refused(build):
    item = build.taken("pro-a")
    with pytest.raises(InvalidRequest):
        item.transfer("pro-a", to_professional_id="pro-a", now=build.later())


def test_transfer_of_a_free_task_to_its_own_group_is_refused(build):
    item = build.item(group="nurses")
    with pytest.raises(InvalidRequest):
        item.transfer("pro-a", to_group_id="nurses", now=build.later())


def test_transfer_clears_incomplete(build):
    item = build.taken("pro-a")
    item.mark_incomplete("pro-a", build.now)
    item.pull_events()
    item.transfer("pro-a", to_professional_id="pro-b", now=build.later())
    assert item.status is Status.TAKEN
    assert item.pull_events()[-1] == ev.IncompleteCleared(
        item.case_id, ClearCause.TRANSFERRED, build.later()
    )


def test_a_closed_task_cannot_be_transferred(build):
    item = build.taken("pro-a")
    item.close(reason="proposal_expired", closed_at=build.now, now=build.now)
    with pytest.raises(InvalidState):
        item.transfer("pro-a", to_group_id="doctors", now=build.later())


def test_a_p0_submission_is_an_emergency_record_not_a_free_task(build):
    item = build.item(urgency="P0")
    assert item.status is Status.EMERGENCY
    assert item.assignee is None
    assert item.status in DEFAULT_VIEW  # professionals see it, first (rank 0)


def test_nobody_takes_transfers_marks_or_reclasses_an_emergency_record(build):
    item = build.item(urgency="P0")
    with pytest.raises(InvalidState):
        item.take("pro-a", build.now)
    with pytest.raises(InvalidState):
        item.transfer("pro-a", to_professional_id="pro-b", now=build.now)
    with pytest.raises(InvalidState):
        item.transfer("pro-a", to_group_id="doctors", may_reassign=True, now=build.now)
    with pytest.raises(InvalidState):
        item.mark_incomplete("pro-a", build.now)
    with pytest.raises(InvalidState):
        item.change_urgency(
            "pro-a",
            to="P1",
            reason_code="assessment_error",
            explanation="not an emergency",
            policy=build.policy,
            now=build.now,
        )
    assert (item.status, item.pull_events()) == (Status.EMERGENCY, [])


def test_an_emergency_record_goes_to_the_closed_queue_when_the_case_closes(build):
    item = build.item(urgency="P0")
    item.close(reason="professional_without_consent", closed_at=build.now, now=build.now)
    assert item.status is Status.CLOSED


def test_a_p0_task_is_never_handed_to_a_group_queue_to_wait(build):
    item = build.taken("pro-a", urgency="P1")
    item.change_urgency(
        "pro-a",
        to="P0",
        reason_code="condition_changed",
        explanation="worse",
        policy=build.policy,
        now=build.now,
    )
    with pytest.raises(InvalidRequest):
        item.transfer("pro-a", to_group_id="doctors", now=build.now)
    item.transfer("pro-a", to_professional_id="pro-b", now=build.now)
    assert (item.status, item.assignee) == (Status.TAKEN, "pro-b")
