"""Marking incomplete, what clears it, and closing into the closed queue or out of sight."""

from __future__ import annotations

import pytest

from careflow.workqueue.domain import events as ev
from careflow.workqueue.domain.errors import InvalidState, NotAllowed
from careflow.workqueue.domain.model import DEFAULT_VIEW, ClearCause, Status


def test_the_taker_marks_incomplete_and_the_resident_is_asked(build):
    item = build.taken("pro-a")
    item.mark_incomplete("pro-a", build.later())
    assert item.status is Status.INCOMPLETE
    assert item.status not in DEFAULT_VIEW
    assert item.pull_events() == [
        ev.ItemMarkedIncomplete(item.case_id, item.resident_id, "pro-a", build.later())
    ]


def test_a_free_task_cannot_be_marked_incomplete(build):
    item = build.item()
    with pytest.raises(NotAllowed):
        item.mark_incomplete("pro-a", build.now)


def test_only_the_professional_who_took_it_marks_incomplete(build):
    item = build.taken("pro-a")
    with pytest.raises(NotAllowed):
        item.mark_incomplete("pro-b", build.now)
    assert item.status is Status.TAKEN


def test_not_incomplete_once_the_resident_proposed_closing(build):
    item = build.taken("pro-a")
    item.resident_proposes_closing(build.now)
    with pytest.raises(InvalidState):
        item.mark_incomplete("pro-a", build.now)


def test_marking_twice_is_refused(build):
    item = build.taken("pro-a")
    item.mark_incomplete("pro-a", build.now)
    with pytest.raises(InvalidState):
        item.mark_incomplete("pro-a", build.now)


def test_a_rejected_resident_proposal_allows_incomplete_again(build):
    item = build.taken("pro-a")
    item.resident_proposes_closing(build.now)
    item.resident_proposal_rejected()
    item.mark_incomplete("pro-a", build.now)
    assert item.status is Status.INCOMPLETE


@pytest.mark.parametrize("cause", list(ClearCause))
def test_each_resident_action_clears_incomplete(build, cause):
    item = build.taken("pro-a")
    item.mark_incomplete("pro-a", build.now)
    item.pull_events()
    item.clear_incomplete(cause, build.later())
    assert item.status is Status.TAKEN
    assert item.pull_events() == [ev.IncompleteCleared(item.case_id, cause, build.later())]


def test_clearing_a_task_that_is_not_incomplete_does_nothing(build):
    item = build.taken("pro-a")
    item.clear_incomplete(ClearCause.GOAL_EDITED, build.now)
    assert item.pull_events() == []


def test_the_resident_proposing_closing_clears_incomplete(build):
    item = build.taken("pro-a")
    item.mark_incomplete("pro-a", build.now)
    item.pull_events()
    item.resident_proposes_closing(build.later())
    assert item.status is Status.TAKEN
    assert item.pull_events()[0].cause == ClearCause.RESIDENT_PROPOSED_CLOSING


def test_closed_by_the_resident_before_taken_leaves_every_queue(build):
    item = build.item()
    item.close(reason="resident_before_taken", closed_at=build.now, now=build.later())
    assert item.status is Status.REMOVED
    assert not item.visible_to(item.organisation_id)
    assert item.pull_events() == [ev.ItemRemoved(item.case_id, build.later())]


def test_a_handled_case_closes_into_the_closed_queue(build):
    item = build.taken("pro-a")
    item.close(
        reason="professional_without_consent",
        closed_at=build.now,
        now=build.later(),
    )
    assert item.status is Status.CLOSED
    assert item.visible_to(item.organisation_id)
    assert item.pull_events() == [
        ev.ItemClosed(item.case_id, "professional_without_consent", build.later())
    ]


def test_a_case_taken_before_the_residents_close_arrives_goes_to_the_closed_queue(build):
    item = build.taken("pro-a")
    item.close(reason="resident_before_taken", closed_at=build.now, now=build.later())
    assert item.status is Status.CLOSED


def test_a_never_taken_case_closed_by_a_professional_goes_to_the_closed_queue(build):
    item = build.item()
    item.close(
        reason="professional_without_consent",
        closed_at=build.now,
        now=build.later(),
    )
    assert item.status is Status.CLOSED


def test_a_second_closing_changes_nothing(build):
    item = build.taken("pro-a")
    item.close(reason="proposal_expired", closed_at=build.now, now=build.now)
    item.pull_events()
    item.close(reason="resident_accepted", closed_at=build.now, now=build.now)
    assert item.closing_reason == "proposal_expired"
    assert item.pull_events() == []


def test_another_organisation_does_not_see_the_task(build):
    item = build.item(organisation="org-1")
    assert not item.visible_to("org-2")


def test_a_never_taken_case_the_resident_closed_by_accepting_a_proposal_is_in_the_closed_queue(
    build,
):
    # A professional proposed closing without taking the task; the resident accepted.
    # Intake shows the case closed, so the closed queue must hold it too.
    item = build.item()
    item.close(reason="resident_accepted", closed_at=build.now, now=build.later())
    assert item.status is Status.CLOSED
    assert item.visible_to(item.organisation_id)
    assert item.pull_events() == [ev.ItemClosed(item.case_id, "resident_accepted", build.later())]
