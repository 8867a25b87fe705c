"""Reminder rules: what clinical event makes which reminder, due when, sent when.

A rule = trigger (service performed / item added) + conditions (all or any of:
service or product code, age, diagnosis, number of visits) + template +
channels + days until due + days before due to send. No channels = an internal
reminder for staff.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from uuid import UUID


class Trigger(StrEnum):
    SERVICE_PERFORMED = "service_performed"
    ITEM_ADDED = "item_added"


class Match(StrEnum):
    ALL = "all"
    ANY = "any"


class ConditionKind(StrEnum):
    CODE = "code"  # the service or product code equals value
    MIN_AGE = "min_age"  # age in years >= value
    MAX_AGE = "max_age"  # age in years <= value
    DIAGNOSIS = "diagnosis"  # one of the visit's diagnosis codes equals value
    MIN_VISITS = "min_visits"  # the resident's count of this code, this one included >= value


@dataclass(frozen=True)
class Condition:
    kind: ConditionKind
    value: str

    def holds(self, fact: ClinicalFact) -> bool:
        match self.kind:
            case ConditionKind.CODE:
                return fact.code == self.value
            case ConditionKind.DIAGNOSIS:
                return self.value in fact.diagnosis_codes
            case ConditionKind.MIN_AGE:
                return fact.age_years is not None and fact.age_years >= int(self.value)
            case ConditionKind.MAX_AGE:
                return fact.age_years is not None and fact.age_years <= int(self.value)
            case ConditionKind.MIN_VISITS:
                return fact.visits >= int(self.value)
        return False  # pragma: no cover - exhaustive


@dataclass(frozen=True)
class ClinicalFact:
    """One clinical event as the rules see it."""

    trigger: Trigger
    resident_id: UUID
    organisation_id: str
    code: str
    diagnosis_codes: tuple[str, ...]
    age_years: int | None
    occurred_at: datetime
    visits: int


@dataclass
class Rule:
    rule_id: UUID
    organisation_id: str
    name: str
    trigger: Trigger
    match: Match
    conditions: tuple[Condition, ...]
    template_id: UUID | None
    channels: tuple[str, ...]
    days_until_due: int
    days_before_due: tuple[int, ...]
    active: bool = True
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def applies(self, fact: ClinicalFact) -> bool:
        if not self.active or fact.trigger is not self.trigger:
            return False
        if fact.organisation_id != self.organisation_id:
            return False
        if not self.conditions:
            return True
        results = (c.holds(fact) for c in self.conditions)
        return all(results) if self.match is Match.ALL else any(results)

    def due_date(self, fact: ClinicalFact) -> date:
        return fact.occurred_at.date() + timedelta(days=self.days_until_due)

    def send_times(self, due: date, send_time: time, now: datetime) -> list[datetime]:
        """The sends still ahead: due minus each of `days_before_due`, at `send_time` UTC."""
        times = {
            datetime.combine(due - timedelta(days=d), send_time, tzinfo=UTC)
            for d in self.days_before_due
        }
        return sorted(t for t in times if t > now)

    @property
    def codes(self) -> frozenset[str]:
        return frozenset(c.value for c in self.conditions if c.kind is ConditionKind.CODE)


def overlaps(rule: Rule, others: list[Rule]) -> list[Rule]:
    """Active rules of the organisation that can fire on the same events as `rule`.

    Two rules overlap when they have the same trigger and either shares a code
    condition with the other, or one of them has no code condition at all
    (it reacts to every code). Saving is allowed; the caller is warned.
    """
    found = []
    for other in others:
        if other.rule_id == rule.rule_id or not other.active:
            continue
        if other.trigger is not rule.trigger:
            continue
        if not rule.codes or not other.codes or rule.codes & other.codes:
            found.append(other)
    return found
