"""Test data for the domain tests: an injected clock and ready-made cases."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

from careflow.intake.domain.case import Case
from careflow.intake.domain.forms import FormPolicy, FormSubmission, Submitter, admit
from careflow.intake.domain.urgency_rules import RED_FLAGS

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TODAY = T0.date()
POLICY = FormPolicy(anonymous_pre_information_forms=frozenset({"checkup-basic"}))


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = T0) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


def resident(children: dict[uuid.UUID, date] | None = None) -> Submitter:
    return Submitter(resident_id=uuid.uuid4(), identified=True, children=children or {})


def anonymous() -> Submitter:
    return Submitter(resident_id=uuid.uuid4(), identified=False)


#: Answers of a symptom assessment with every red flag answered "no".
NO_RED_FLAGS: dict[str, object] = {flag: False for flag in RED_FLAGS}
#: Fever for three days, no red flag: P3 under symptoms-1.
FEVER = {**NO_RED_FLAGS, "fever": True, "symptom_days": 3}
#: Chest pain: P0 under symptoms-1.
CHEST_PAIN = {**NO_RED_FLAGS, "chest_pain": True}


def symptom_form(**overrides: object) -> FormSubmission:
    values: dict[str, object] = {
        "kind": "symptom_assessment",
        "language": "sv",
        "organisation_id": "org-1",
        "phone": "+358401234567",
        "answers": FEVER,
    }
    values.update(overrides)
    return FormSubmission(**values)  # type: ignore[arg-type]


def submitted_case(now: datetime = T0, **overrides: object) -> Case:
    form = symptom_form(**overrides)
    case = Case.submit(form, admit(form, resident(), POLICY, now.date()), {"q1": "yes"}, now)
    case.pull_events()
    return case


def taken_case(now: datetime = T0, professional: str = "pro-1") -> Case:
    case = submitted_case(now)
    case.mark_taken(professional, now)
    case.pull_events()
    return case
