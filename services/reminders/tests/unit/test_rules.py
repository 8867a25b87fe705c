"""Reminder rules: conditions all / any, due dates and send days, overlap warnings."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time

from careflow.reminders.domain.rules import (
    ClinicalFact,
    Condition,
    ConditionKind,
    Match,
    Rule,
    Trigger,
    overlaps,
)

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)


def fact(**overrides: object) -> ClinicalFact:
    fields: dict[str, object] = {
        "trigger": Trigger.SERVICE_PERFORMED,
        "resident_id": uuid.uuid4(),
        "organisation_id": "org-1",
        "code": "VAC-TBE",
        "diagnosis_codes": ("Z23",),
        "age_years": 40,
        "occurred_at": NOW,
        "visits": 1,
    }
    return ClinicalFact(**(fields | overrides))  # type: ignore[arg-type]


def rule(*conditions: Condition, match: Match = Match.ALL, **overrides: object) -> Rule:
    fields: dict[str, object] = {
        "rule_id": uuid.uuid4(),
        "organisation_id": "org-1",
        "name": "booster",
        "trigger": Trigger.SERVICE_PERFORMED,
        "match": match,
        "conditions": conditions,
        "template_id": None,
        "channels": ("email",),
        "days_until_due": 365,
        "days_before_due": (30, 7),
    }
    return Rule(**(fields | overrides))  # type: ignore[arg-type]


CODE = Condition(ConditionKind.CODE, "VAC-TBE")
ADULT = Condition(ConditionKind.MIN_AGE, "18")
CHILD = Condition(ConditionKind.MAX_AGE, "17")
DIAGNOSIS = Condition(ConditionKind.DIAGNOSIS, "Z23")
SECOND_VISIT = Condition(ConditionKind.MIN_VISITS, "2")


def test_all_conditions_must_hold_for_an_all_rule() -> None:
    assert rule(CODE, ADULT, DIAGNOSIS).applies(fact())
    assert not rule(CODE, CHILD).applies(fact())
    assert not rule(CODE, SECOND_VISIT).applies(fact())
    assert rule(CODE, SECOND_VISIT).applies(fact(visits=2))


def test_one_condition_is_enough_for_an_any_rule() -> None:
    assert rule(CHILD, DIAGNOSIS, match=Match.ANY).applies(fact())
    assert not rule(CHILD, SECOND_VISIT, match=Match.ANY).applies(fact())


def test_a_rule_reacts_only_to_its_trigger_and_its_organisation() -> None:
    assert not rule(CODE).applies(fact(trigger=Trigger.ITEM_ADDED))
    assert not rule(CODE).applies(fact(organisation_id="org-2"))
    assert not rule(CODE, active=False).applies(fact())


def test_an_unknown_age_meets_no_age_condition() -> None:
    assert not rule(ADULT).applies(fact(age_years=None))


def test_due_date_and_the_sends_before_it() -> None:
    r = rule(CODE)
    due = r.due_date(fact())
    assert due == date(2027, 12, 4)
    assert r.send_times(due, time(7, 0), NOW) == [
        datetime(2027, 11, 4, 7, 0, tzinfo=UTC),
        datetime(2027, 11, 27, 7, 0, tzinfo=UTC),
    ]


def test_sends_already_past_are_not_scheduled() -> None:
    r = rule(CODE, days_until_due=10, days_before_due=(30, 7))
    assert r.send_times(r.due_date(fact()), time(7, 0), NOW) == [
        datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
    ]


def test_rules_on_the_same_code_or_without_a_code_overlap() -> None:
    booster = rule(CODE)
    same_code = rule(CODE, ADULT)
    any_code = rule(ADULT)
    other_code = rule(Condition(ConditionKind.CODE, "LAB-B12"))
    other_trigger = rule(CODE, trigger=Trigger.ITEM_ADDED)
    found = overlaps(booster, [booster, same_code, any_code, other_code, other_trigger])
    assert found == [same_code, any_code]
