"""Who may submit which form, and how: identification, phone, proxy, private records."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal
from uuid import UUID

from careflow.intake.domain.errors import InvalidInput, NotPermitted
from careflow.intake.domain.text import age_on, has_control_characters, phone_number
from careflow.intake.domain.urgency_rules import CURRENT, EMERGENCY, RuleSet

FORM_KINDS = ("symptom_assessment", "service_assessment", "health_check_result", "pre_information")
#: An identified resident must give a phone number with these kinds.
PHONE_REQUIRED = frozenset({"symptom_assessment", "service_assessment", "health_check_result"})
LANGUAGES = ("fi", "sv", "en")
#: A guardian may act for a child younger than this (population register rule).
PROXY_AGE_LIMIT = 15

Identification = Literal["identified", "anonymous"]


@dataclass(frozen=True)
class AnswerLimits:
    """How big a form's answers may be.

    Answers are stored with the case and sent back on every read of its page, so
    one oversized submission costs on every later read. The limits are generous
    for any form a person fills in by hand (questions of a few words, free-text
    answers of a few paragraphs, a choice list or a table one level deep) and
    refuse machine-made floods before anything is stored.
    """

    #: Questions in one form (top-level answers).
    max_answers: int = 200
    #: Every value in the answers, nested ones included: bounds the work per request.
    max_values: int = 2000
    #: Characters of one free-text answer: the case's own longest texts (tasks,
    #: summaries) allow 4000.
    max_text: int = 4000
    #: Characters of a question id.
    max_key: int = 100
    #: Containers within an answer: {"q": [{"row": 1}]} is depth 2; deeper is no form.
    max_depth: int = 2


@dataclass(frozen=True)
class FormPolicy:
    """Organisation-wide form settings: which pre-information forms allow anonymity, how
    big answers may be, and the urgency rules in force."""

    anonymous_pre_information_forms: frozenset[str] = frozenset()
    answers: AnswerLimits = AnswerLimits()
    urgency_rules: RuleSet = CURRENT


@dataclass(frozen=True)
class Submitter:
    """The authenticated sender: identified (strong) or anonymous; children they guard."""

    resident_id: UUID
    identified: bool
    children: dict[UUID, date] = field(default_factory=dict)


@dataclass(frozen=True)
class FormSubmission:
    kind: str
    language: str
    organisation_id: str
    form_id: str | None = None
    unit_id: str | None = None
    group_id: str | None = None
    #: The class the client claims. Never decides: intake computes it from `answers`.
    urgency: str | None = None
    phone: str | None = None
    refuse_phone_contact: bool = False
    for_myself: bool = False
    child_id: UUID | None = None
    answers: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Admission:
    """What the rules decided about a submission."""

    resident_id: UUID
    identification: Identification
    proxy_contact: bool
    submitted_by: UUID | None
    phone: str | None
    phone_contact_allowed: bool
    private: bool
    call_emergency_number: bool
    urgency: str | None = None
    urgency_rules: str | None = None  # the rule-set version that computed `urgency`
    #: The client sent a class other than the computed one (a stale app, or an attempt to
    #: raise the priority); it was ignored. A count of these is worth watching.
    claimed_urgency_overruled: bool = False

    @property
    def contact_id(self) -> UUID:
        """Whose customer information the form's phone number belongs to: the guardian's
        when they act for a child (the child is the case's resident, the guardian the
        person professionals call and notifications reach)."""
        if self.proxy_contact and self.submitted_by is not None:
            return self.submitted_by
        return self.resident_id


def may_act_for_child(children: dict[UUID, date], child_id: UUID, today: date) -> bool:
    """A guardian acts for a registered child only while the child is under 15."""
    birth = children.get(child_id)
    return birth is not None and age_on(birth, today) < PROXY_AGE_LIMIT


def admit(form: FormSubmission, who: Submitter, policy: FormPolicy, today: date) -> Admission:
    """Applies the submission rules; raises InvalidInput or NotPermitted."""
    if form.kind not in FORM_KINDS:
        raise InvalidInput("unknown form kind")
    if form.language not in LANGUAGES:
        raise InvalidInput("language must be fi, sv or en")
    if form.kind != "symptom_assessment" and form.urgency is not None:
        raise InvalidInput("only a symptom assessment sets an urgency class")
    if form.phone is not None:
        phone_number(form.phone)
    if not who.identified:
        return _anonymous(form, who, policy)
    urgency = _urgency(form, policy)
    emergency = urgency.get("urgency") == EMERGENCY
    resident_id, proxy = who.resident_id, False
    if form.child_id is not None:
        if not may_act_for_child(who.children, form.child_id, today):
            raise NotPermitted("a guardian may act only for their own child under 15")
        resident_id, proxy = form.child_id, True
    if form.for_myself:
        return Admission(
            resident_id, "identified", proxy, who.resident_id if proxy else None,
            form.phone, False, True, emergency, **urgency,
        )  # fmt: skip
    # P0 is admitted without a phone number: its answer is "call 112 now", and a
    # refusal would hide that behind "fix your form". Nobody will call them back.
    if form.kind in PHONE_REQUIRED and form.phone is None and not emergency:
        raise InvalidInput("a phone number is required for this form")
    return Admission(
        resident_id=resident_id,
        identification="identified",
        proxy_contact=proxy,
        submitted_by=who.resident_id if proxy else None,
        phone=form.phone,
        phone_contact_allowed=form.phone is not None and not form.refuse_phone_contact,
        private=False,
        call_emergency_number=emergency,
        **urgency,
    )


def _urgency(form: FormSubmission, policy: FormPolicy) -> dict[str, Any]:
    """The class the rules give the answers; the client's claim is ignored, only noted."""
    if form.kind != "symptom_assessment":
        return {}
    assessment = policy.urgency_rules.assess(form.answers)
    return {
        "urgency": assessment.urgency,
        "urgency_rules": assessment.rules_version,
        "claimed_urgency_overruled": form.urgency not in (None, assessment.urgency),
    }


def _anonymous(form: FormSubmission, who: Submitter, policy: FormPolicy) -> Admission:
    if form.kind != "pre_information" or form.form_id not in policy.anonymous_pre_information_forms:
        raise NotPermitted("this form needs strong authentication")
    if form.child_id is not None:
        raise NotPermitted("acting for a child needs strong authentication")
    if form.for_myself:
        raise InvalidInput("an anonymous sender cannot save a private record")
    if form.phone is not None:
        raise InvalidInput("an anonymous submission carries no phone number")
    return Admission(who.resident_id, "anonymous", False, None, None, False, False, False)


def check_answers(answers: dict[str, Any] | None, limits: AnswerLimits) -> None:
    """Refuses answers over the limits, or holding what no stored text may (control
    characters, numbers that are not finite). Messages name the limit, never a value."""
    if not answers:
        return
    if len(answers) > limits.max_answers:
        raise InvalidInput(f"a form has at most {limits.max_answers} answers")
    counted = 0

    def visit(value: Any, depth: int) -> None:
        nonlocal counted
        counted += 1
        if counted > limits.max_values:
            raise InvalidInput(f"the answers hold at most {limits.max_values} values in all")
        if isinstance(value, str):
            if len(value) > limits.max_text:
                raise InvalidInput(f"an answer is longer than {limits.max_text} characters")
            if has_control_characters(value):
                raise InvalidInput("an answer must not contain control characters")
        elif isinstance(value, float) and not math.isfinite(value):
            raise InvalidInput("an answer must be a finite number")
        elif isinstance(value, dict | list):
            if depth >= limits.max_depth:
                raise InvalidInput(f"answers nest at most {limits.max_depth} levels deep")
            if isinstance(value, dict):
                for key, item in value.items():
                    visit_key(key)
                    visit(item, depth + 1)
            else:
                for item in value:
                    visit(item, depth + 1)

    def visit_key(key: str) -> None:
        if len(key) > limits.max_key:
            raise InvalidInput(f"a question id is longer than {limits.max_key} characters")
        if has_control_characters(key):
            raise InvalidInput("a question id must not contain control characters")

    for key, value in answers.items():
        visit_key(key)
        visit(value, 0)
