"""Each urgency class's target response time: time left, overdue, per-organisation scales."""

from __future__ import annotations

from datetime import timedelta

from careflow.contracts.urgency import load_scales
from careflow.workqueue.application import overdue, reactions
from careflow.workqueue.application.urgency import ScalePolicies, ScalePolicy

from .test_reactions import FakeUoW, submitted

HOUR = timedelta(hours=1)


def test_a_free_task_shows_the_time_left_to_its_class_target(build):
    item = build.item(urgency="P1", submitted_minutes_ago=30)  # P1: within 2 hours
    assert item.response_due_at == item.submitted_at + 2 * HOUR
    assert item.time_left(build.now) == timedelta(minutes=90)
    assert not item.overdue(build.now)


def test_past_its_target_the_time_left_is_negative_and_the_task_overdue(build):
    item = build.item(urgency="P1", submitted_minutes_ago=150)
    assert item.time_left(build.now) == -timedelta(minutes=30)
    assert item.overdue(build.now)


def test_a_taken_task_no_longer_waits_on_its_target(build):
    item = build.taken("pro-a", urgency="P1", submitted_minutes_ago=150)
    assert item.response_due_at is not None  # still shown, for the handler
    assert (item.time_left(build.now), item.overdue(build.now)) == (None, False)


def test_a_task_transferred_back_to_a_group_waits_against_the_same_due_time(build):
    item = build.taken("pro-a", urgency="P1", submitted_minutes_ago=150)
    item.transfer("pro-a", to_group_id="doctors", now=build.now)
    assert item.overdue(build.now)


def test_a_class_without_a_target_and_no_class_are_never_due(build):
    for item in (build.item(urgency="P8"), build.item(urgency=None, kind="service_assessment")):
        assert (item.response_due_at, item.time_left(build.now)) == (None, None)
        assert not item.overdue(build.now + 1000 * HOUR)


def test_an_emergency_record_shows_no_time_left(build):
    item = build.item(urgency="P0", submitted_minutes_ago=5)
    assert (item.time_left(build.now), item.overdue(build.now)) == (None, False)


def test_changing_the_class_takes_the_new_target_from_the_submission(build):
    item = build.taken("pro-a", urgency="P3", submitted_minutes_ago=60)
    item.change_urgency(
        "pro-a",
        to="P1",
        reason_code="condition_changed",
        explanation="worse",
        policy=build.policy,
        now=build.now,
    )
    assert item.response_due_at == item.submitted_at + 2 * HOUR


async def test_each_organisation_gets_the_targets_of_its_own_scale(build):
    policies = ScalePolicies(load_scales({"org-1": {"levels": {"P1": {"target_response": 10800}}}}))
    uow = FakeUoW()
    own, default = submitted(urgency="P1"), submitted(urgency="P1", organisation_id="org-2")
    for event in (own, default):
        await reactions.on_case_created(event, uow, policies=policies, now=build.now)
    assert uow.items.rows[own.case_id].response_due_at == own.submitted_at + 3 * HOUR
    assert uow.items.rows[default.case_id].response_due_at == default.submitted_at + 2 * HOUR


def test_only_the_organisations_enabled_classes_are_selectable(build):
    policies = ScalePolicies(load_scales({"org-1": {"levels": {"P6": {"enabled": True}}}}))
    assert policies.for_organisation("org-1").selectable("P6")
    assert not policies.for_organisation("org-2").selectable("P6")
    assert policies.for_organisation("org-2") == ScalePolicy()


class _CountingItems:
    def __init__(self, items) -> None:  # type: ignore[no-untyped-def]
        self.items = items

    async def count_overdue(self, now):  # type: ignore[no-untyped-def]
        counts: dict[tuple[str, str], int] = {}
        for item in self.items:
            if item.overdue(now):
                key = (item.organisation_id, item.urgency)
                counts[key] = counts.get(key, 0) + 1
        return counts


def _observed(snapshot: overdue.OverdueSnapshot) -> dict[tuple[str, str], int]:
    return {
        (str(o.attributes["organisation_id"]), str(o.attributes["urgency"])): int(o.value)  # type: ignore[index]
        for o in snapshot.observations()
    }


def _observed(snapshot: overdue.OverdueSnapshot) -> dict[tuple[str, str], int]:
    observed = {}
    for o in snapshot.observations():
        attributes = o.attributes or {}
        observed[str(attributes["organisation_id"]), str(attributes["urgency"])] = int(o.value)
    return observed


class _UoW:
    def __init__(self, items) -> None:  # type: ignore[no-untyped-def]
        self.items = _CountingItems(items)

    async def __aenter__(self):  # type: ignore[no-untyped-def]
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


async def test_the_overdue_gauge_counts_per_organisation_and_class_and_shows_the_backlog_clear(
    build,
):
    late = [build.item(urgency="P1", submitted_minutes_ago=150) for _ in range(2)]
    late_elsewhere = build.item(urgency="P2", organisation="org-2", submitted_minutes_ago=2000)
    on_time = build.item(urgency="P1", submitted_minutes_ago=10)
    snapshot = overdue.OverdueSnapshot()
    items = [*late, late_elsewhere, on_time]
    await overdue.refresh_overdue(_UoW(items), build.now, snapshot)  # type: ignore[arg-type]
    seen = _observed(snapshot)
    assert seen == {("org-1", "P1"): 2, ("org-2", "P2"): 1}

    for item in late:
        item.take("pro-a", build.now)
    await overdue.refresh_overdue(_UoW(items), build.now, snapshot)  # type: ignore[arg-type]
    seen = _observed(snapshot)
    assert seen == {("org-1", "P1"): 0, ("org-2", "P2"): 1}
    # Labels carry the organisation and the class, nothing about a resident or case.
    labels = [set(o.attributes or {}) for o in snapshot.observations()]
    assert labels == [{"organisation_id", "urgency"}] * 2
