"""Changing the urgency class: a reason, a task being handled, history kept."""

from __future__ import annotations

import pytest

from careflow.workqueue.domain import events as ev
from careflow.workqueue.domain.errors import InvalidRequest, InvalidState, NotAllowed
from careflow.workqueue.domain.urgency import UrgencyChange


def change(item, build, to="P2", by="pro-a", reason="new_information", text="Called back."):
    item.change_urgency(
        by, to=to, reason_code=reason, explanation=text, policy=build.policy, now=build.later()
    )


def test_the_handler_changes_urgency_and_both_classes_are_kept(build):
    item = build.taken("pro-a", urgency="P4")
    change(item, build, to="P2")
    assert (item.original_urgency, item.urgency, item.urgency_rank) == ("P4", "P2", 2)
    assert item.urgency_history == [
        UrgencyChange("P4", "P2", "new_information", "Called back.", "pro-a", build.later())
    ]
    assert item.pull_events() == [
        ev.UrgencyChanged(item.case_id, "P4", "P4", "P2", "new_information", "pro-a", build.later())
    ]


def test_history_accumulates_and_original_stays(build):
    item = build.taken("pro-a", urgency="P4")
    change(item, build, to="P2")
    change(item, build, to="P3")
    assert [c.current for c in item.urgency_history] == ["P2", "P3"]
    assert item.original_urgency == "P4"
    assert item.pull_events()[-1].previous == "P2"


def test_a_task_without_a_class_can_be_given_one(build):
    item = build.taken("pro-a", urgency=None, kind="service_assessment")
    change(item, build, to="P3")
    assert item.urgency == "P3"
    assert item.original_urgency is None


@pytest.mark.parametrize("text", ["", "   "])
def test_a_change_without_a_reason_is_refused(build, text):
    item = build.taken("pro-a", urgency="P4")
    with pytest.raises(InvalidRequest):
        change(item, build, text=text)
    assert item.urgency == "P4"


def test_a_too_long_explanation_is_refused(build):
    item = build.taken("pro-a")
    with pytest.raises(InvalidRequest):
        change(item, build, text="x" * 1001)


def test_a_free_task_cannot_change_urgency(build):
    item = build.item(urgency="P4")
    with pytest.raises(InvalidState):
        change(item, build)
    assert item.urgency_history == []


def test_only_the_handler_changes_urgency(build):
    item = build.taken("pro-a")
    with pytest.raises(NotAllowed):
        change(item, build, by="pro-b")


def test_an_incomplete_task_is_still_being_handled(build):
    item = build.taken("pro-a", urgency="P4")
    item.mark_incomplete("pro-a", build.now)
    change(item, build, to="P3")
    assert item.urgency == "P3"


def test_the_same_class_is_not_a_change(build):
    item = build.taken("pro-a", urgency="P3")
    with pytest.raises(InvalidRequest):
        change(item, build, to="P3")


@pytest.mark.parametrize("code", ["P6", "P7", "P9", "urgent"])
def test_classes_not_in_use_cannot_be_set(build, code):
    item = build.taken("pro-a")
    with pytest.raises(InvalidRequest):
        change(item, build, to=code)


def test_raising_to_p0_flags_it_immediate(build):
    item = build.taken("pro-a", urgency="P3")
    change(item, build, to="P0")
    assert item.immediate
