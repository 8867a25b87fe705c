"""Sort order, filters and pages of a queue view."""

from __future__ import annotations

from datetime import timedelta

import pytest

from careflow.workqueue.domain.errors import InvalidRequest
from careflow.workqueue.domain.model import Status
from careflow.workqueue.domain.ordering import QueueQuery, select, sort_key


def test_most_urgent_first_then_oldest_then_case_id(build):
    p3_old = build.item(urgency="P3", submitted_minutes_ago=300)
    p3_new = build.item(urgency="P3", submitted_minutes_ago=10)
    p1 = build.item(urgency="P1", submitted_minutes_ago=5)
    none = build.item(urgency=None, kind="service_assessment", submitted_minutes_ago=900)
    p8 = build.item(urgency="P8", submitted_minutes_ago=1)
    ordered = sorted([none, p3_new, p8, p3_old, p1], key=sort_key)
    assert ordered == [p1, p3_old, p3_new, p8, none]


def test_the_residents_name_breaks_a_tie_in_urgency_and_age_and_unknown_names_come_last(build):
    virtanen = build.item(urgency="P2", submitted_minutes_ago=10)
    aalto = build.item(urgency="P2", submitted_minutes_ago=10)
    unnamed = build.item(urgency="P2", submitted_minutes_ago=10)
    older = build.item(urgency="P2", submitted_minutes_ago=11)
    names = {virtanen.resident_id: "Virtanen", aalto.resident_id: "aalto"}
    ordered = sorted([unnamed, virtanen, older, aalto], key=lambda i: sort_key(i, names))
    assert ordered == [older, aalto, virtanen, unnamed]  # case-insensitive: "aalto" first


def test_the_case_id_breaks_ties(build):
    a = build.item(submitted_minutes_ago=10)
    b = build.item(submitted_minutes_ago=10)
    assert sorted([a, b], key=sort_key) == sorted([a, b], key=lambda i: i.case_id)


def test_pages_of_items_equal_in_urgency_and_age_neither_repeat_nor_skip_any(build):
    # Equal urgency, submission time and (unknown) name: the case id orders them, the
    # same on every read.
    tied = [build.item(urgency="P2", submitted_minutes_ago=30) for _ in range(7)]
    urgent = build.item(urgency="P1", submitted_minutes_ago=1)
    items = [*reversed(tied), urgent]
    pages = [
        select(items, QueueQuery("org-1", limit=3, offset=offset), build.now)
        for offset in (0, 3, 6)
    ]
    listed = [item.case_id for page in pages for item in page]
    assert listed == [urgent.case_id, *sorted(item.case_id for item in tied)]
    assert select(list(reversed(items)), QueueQuery("org-1", limit=3), build.now) == pages[0]


def test_a_p0_record_is_at_the_top_of_every_group_queue(build):
    p0 = build.item(urgency="P0", group="doctors", submitted_minutes_ago=1)
    nurse_task = build.item(urgency="P1", group="nurses")
    view = select([nurse_task, p0], QueueQuery("org-1", groups=frozenset({"nurses"})), build.now)
    assert view == [p0, nurse_task]


def test_a_p0_record_leaves_every_group_queue_when_the_case_closes(build):
    p0 = build.item(urgency="P0", group="doctors")
    p0.close(reason="professional_without_consent", closed_at=build.now, now=build.now)
    view = select([p0], QueueQuery("org-1", groups=frozenset({"nurses"})), build.now)
    assert view == []


def test_a_task_raised_to_p0_by_its_handler_stays_in_its_own_group_only(build):
    task = build.taken("pro-a", group="doctors")
    task.change_urgency(
        "pro-a",
        to="P0",
        reason_code="condition_changed",
        explanation="worse",
        policy=build.policy,
        now=build.now,
    )
    view = select([task], QueueQuery("org-1", groups=frozenset({"nurses"})), build.now)
    assert view == []


def test_default_view_hides_incomplete_and_closed(build):
    free = build.item()
    taken = build.taken("pro-a")
    incomplete = build.taken("pro-a")
    incomplete.mark_incomplete("pro-a", build.now)
    closed = build.taken("pro-a")
    closed.close(reason="proposal_expired", closed_at=build.now, now=build.now)
    items = [free, taken, incomplete, closed]
    assert set(map(id, select(items, QueueQuery("org-1"), build.now))) == {id(free), id(taken)}
    by_status = QueueQuery("org-1", statuses=frozenset({Status.INCOMPLETE}))
    assert select(items, by_status, build.now) == [incomplete]


def test_removed_items_are_never_listed(build):
    item = build.item()
    item.close(reason="resident_before_taken", closed_at=build.now, now=build.now)
    every = frozenset({Status.FREE, Status.TAKEN, Status.INCOMPLETE, Status.CLOSED})
    assert select([item], QueueQuery("org-1", statuses=every), build.now) == []
    with pytest.raises(InvalidRequest, match="never listed"):
        QueueQuery("org-1", statuses=frozenset({Status.REMOVED}))


def test_my_tasks_are_those_assigned_to_me(build):
    mine = build.taken("pro-a")
    theirs = build.taken("pro-b")
    view = select([mine, theirs], QueueQuery("org-1", assignee="pro-a"), build.now)
    assert view == [mine]


def test_filters_by_kind_urgency_language_and_age(build):
    a = build.item(
        kind="symptom_assessment", urgency="P2", language="sv", submitted_minutes_ago=600
    )
    b = build.item(kind="service_assessment", urgency=None, language="fi")
    c = build.item(kind="symptom_assessment", urgency="P4", language="sv", submitted_minutes_ago=5)
    items = [a, b, c]
    q = QueueQuery
    assert select(items, q("org-1", case_kinds=frozenset({"service_assessment"})), build.now) == [b]
    assert select(items, q("org-1", urgencies=frozenset({"P2", "P4"})), build.now) == [a, c]
    assert select(items, q("org-1", languages=frozenset({"sv"})), build.now) == [a, c]
    assert select(items, q("org-1", min_age=timedelta(hours=2)), build.now) == [a]
    assert select(items, q("org-1", max_age=timedelta(minutes=30)), build.now) == [c]


def test_other_organisations_items_are_not_in_the_view(build):
    ours = build.item(organisation="org-1")
    theirs = build.item(organisation="org-2")
    assert select([ours, theirs], QueueQuery("org-1"), build.now) == [ours]


def test_pages_follow_the_sort_order(build):
    items = [build.item(submitted_minutes_ago=m) for m in (50, 40, 30, 20, 10)]
    page = select(items, QueueQuery("org-1", limit=2, offset=2), build.now)
    assert page == items[2:4]


@pytest.mark.parametrize(
    "kwargs",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
    ],
)
def test_invalid_views_are_refused(kwargs):
    with pytest.raises(InvalidRequest):
        QueueQuery("org-1", **kwargs)


def test_the_closed_queue_lists_most_recently_closed_first(build):
    first = build.taken("pro-a")
    second = build.taken("pro-a")
    first.close(reason="proposal_expired", closed_at=build.now, now=build.now)
    second.close(reason="proposal_expired", closed_at=build.later(), now=build.now)
    closed = QueueQuery("org-1", statuses=frozenset({Status.CLOSED}))
    assert select([first, second], closed, build.now) == [second, first]
