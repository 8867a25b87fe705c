"""HTTP bodies (not contract models, not tables). Unknown fields are refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from careflow.intake.application.read_case import MAX_LISTED
from careflow.intake.domain.forms import PHONE_REQUIRED, AnswerLimits
from careflow.intake.domain.urgency_rules import CURRENT, EMERGENCY, AllOf, RuleSet, Yes
from careflow.shared.http.openapi import BODY_TEXT

ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Language = Literal["fi", "sv", "en"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
# The domain's rules (domain/text.py) stated in the OpenAPI, so a request the
# schema allows is one the domain accepts; none lets a control character in.
_NO_CONTROL = r"\x00-\x1f\x7f-\x9f"
Phone = Annotated[str, StringConstraints(max_length=20, pattern=r"^\+[1-9][0-9]{6,14}$")]
_EMAIL = rf"^[^@\s{_NO_CONTROL}]{{1,64}}@[^@\s{_NO_CONTROL}]+\.[^@\s{_NO_CONTROL}]+$"
_NOT_BLANK = rf"^[^{_NO_CONTROL}]*[^\s{_NO_CONTROL}][^{_NO_CONTROL}]*$"


def _answer_value(limits: AnswerLimits) -> dict[str, Any]:
    """JSON Schema of one answer: a scalar, or containers nested `max_depth` deep."""
    scalar: dict[str, Any] = {
        "anyOf": [
            {"type": "string", "maxLength": limits.max_text, "pattern": BODY_TEXT},
            {"type": "number"},
            {"type": "boolean"},
            {"type": "null"},
        ]
    }
    value = scalar
    for _ in range(limits.max_depth):
        value = {"anyOf": [scalar, {"type": "array", "items": value}, _object_of(value)]}
    return value


def _object_of(value: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "propertyNames": {"maxLength": AnswerLimits.max_key, "pattern": BODY_TEXT},
        "additionalProperties": value,
    }


_LIMITS = AnswerLimits()
_ANSWERS: dict[str, Any] = {
    "maxProperties": _LIMITS.max_answers,
    "propertyNames": {"maxLength": _LIMITS.max_key, "pattern": BODY_TEXT},
    "additionalProperties": _answer_value(_LIMITS),
}


def _rule_set_answers(rules: RuleSet) -> dict[str, Any]:
    """The answers a rule set reads: required ones, yes/no as booleans, numbers in range."""
    properties: dict[str, Any] = {}
    for name, question in rules.questions.items():
        if question.kind == "yes_no":
            properties[name] = {"type": "boolean"}
            continue
        number: dict[str, Any] = {"type": "number"}
        if question.minimum is not None:
            number["minimum"] = question.minimum
        if question.maximum is not None:
            number["maximum"] = question.maximum
        properties[name] = number
    required = sorted(name for name, q in rules.questions.items() if q.required)
    return {"type": "object", "properties": properties, "required": required}


def _emergency_answers(rules: RuleSet) -> dict[str, Any]:
    """Answers that make the assessment P0 (the rules of yes-answers that give P0)."""
    branches = []
    for rule in rules.rules:
        if rule.urgency != EMERGENCY:
            continue
        parts = rule.when.conditions if isinstance(rule.when, AllOf) else (rule.when,)
        if not all(isinstance(part, Yes) for part in parts):
            raise TypeError(f"rule {rule.id} cannot be stated in the OpenAPI")
        flags = [part.question for part in parts if isinstance(part, Yes)]
        answers = {
            "type": "object",
            "properties": {flag: {"const": True} for flag in flags},
            "required": flags,
        }
        branches.append({"properties": {"answers": answers}, "required": ["answers"]})
    if not branches:
        return {"not": {}}
    # Only a symptom assessment is assessed (domain/forms.py `admit`).
    return {"properties": {"kind": {"const": "symptom_assessment"}}, "anyOf": branches}


class Body(BaseModel):
    # Booleans are StrictBool: pydantic would read 0, 1, "yes" as booleans,
    # which the OpenAPI (type: boolean) says are invalid.
    model_config = ConfigDict(extra="forbid")


def _requires(flag: str, value: str) -> dict[str, Any]:
    """JSON Schema: when `flag` is true, `value` is given (not null)."""
    return {
        "if": {"properties": {flag: {"const": True}}, "required": [flag]},
        "then": {"properties": {value: {"type": "string"}}, "required": [value]},
    }


class FormIn(Body):
    # The domain's rules (domain/forms.py, domain/urgency_rules.py), stated in the OpenAPI
    # so that a request the schema allows is one the domain takes, and the reverse.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"kind": {"const": "symptom_assessment"}}},
                    "then": {
                        "properties": {"answers": _rule_set_answers(CURRENT)},
                        "required": ["answers"],
                    },
                    "else": {"properties": {"urgency": {"type": "null"}}},
                },
                {
                    # A phone number, unless the answers say "call the emergency number":
                    # the resident must hear that even without one.
                    "if": {
                        "properties": {
                            "kind": {"enum": sorted(PHONE_REQUIRED)},
                            "for_myself": {"const": False},
                        },
                        "not": _emergency_answers(CURRENT),
                    },
                    "then": {"properties": {"phone": {"type": "string"}}, "required": ["phone"]},
                },
            ]
        },
    )
    kind: Literal[
        "symptom_assessment", "service_assessment", "health_check_result", "pre_information"
    ]
    language: Language
    organisation_id: ExternalId
    form_id: ExternalId | None = None
    unit_id: ExternalId | None = None
    group_id: ExternalId | None = None
    urgency: Literal["P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"] | None = Field(
        default=None,
        # Marked in the schema only: pydantic's `deprecated=` warns on every read.
        json_schema_extra={"deprecated": True},
        description="Ignored: intake computes a symptom assessment's class from `answers`.",
    )
    phone: Phone | None = None
    refuse_phone_contact: StrictBool = False
    for_myself: StrictBool = Field(
        default=False, description="Save only for myself: a private record."
    )
    child_subject: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = Field(
        default=None, description="Submit as guardian for this child (proxy contact)."
    )
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="The form's answers; their limits (count, length, nesting) are the form "
        "policy's and a breach is a 422 problem.",
        json_schema_extra=_ANSWERS,
    )


class CaseIn(Body):
    resident_subject: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    kind: Literal[
        "health_examination", "wellbeing_check", "pre_information_invitation", "appointment"
    ]
    language: Language
    group_id: ExternalId | None = None


class GoalIn(Body):
    text: Text
    set_by: Literal["professional", "together"] = "professional"


class ResidentGoalIn(Body):
    text: Text


class TaskIn(Body):
    kind: Literal["action_instruction", "questionnaire"]
    instruction: Text
    start_date: date | None = None
    latest_date: date | None = None


class SummaryIn(Body):
    text: Text


class ClosureIn(Body):
    reason: Text


class ObjectionIn(Body):
    message_id: UUID | None = None


class CoachingEndIn(Body):
    completed: StrictBool = False


class ContactIn(Body):
    # The domain's rules (Resident.update_contact), stated in the OpenAPI.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                _requires("email_notifications", "email"),
                _requires("sms_notifications", "phone"),
                _requires("phone_contact_allowed", "phone"),
            ]
        },
    )
    communication_language: Language
    name: Annotated[str, StringConstraints(max_length=200, pattern=_NOT_BLANK)] | None = None
    email: Annotated[str, StringConstraints(max_length=254, pattern=_EMAIL)] | None = None
    phone: Phone | None = None
    email_notifications: StrictBool = False
    sms_notifications: StrictBool = False
    phone_contact_allowed: StrictBool = False


class Created(BaseModel):
    id: UUID


class SubmittedOut(BaseModel):
    case_id: UUID | None = Field(description="None for an anonymous sender: no case page.")
    private: bool
    call_emergency_number: bool = Field(
        description="P0: tell the resident at once to call the emergency number (112)."
    )
    urgency: Literal["P0", "P1", "P2", "P3", "P4", "P5", "P8"] | None = Field(
        default=None, description="The class intake computed from the answers (symptom assessment)."
    )
    urgency_rules: str | None = Field(
        default=None, description="Version of the rule set that computed `urgency`."
    )


# -- what the read routes answer ------------------------------------------------


class Out(BaseModel):
    # A view of stored data: fields the model does not name are not shown.
    model_config = ConfigDict(extra="ignore")


class LatestEvent(Out):
    kind: str
    actor: str
    at: datetime


class CaseSummary(Out):
    latest_events: list[LatestEvent]
    results: dict[str, Any] | None = Field(description="The form's answers as submitted.")
    professional_summary: str | None


class GoalOut(Out):
    id: UUID
    text: str
    set_by: Literal["professional", "resident", "together"]
    professional_id: str | None
    set_at: datetime
    edited_at: datetime | None
    edited_by: Literal["professional", "resident"] | None


class TaskOut(Out):
    id: UUID
    kind: Literal["action_instruction", "questionnaire"]
    instruction: str
    language: str
    start_date: date
    latest_date: date | None
    assigned_by: str
    assigned_at: datetime
    filled_at: datetime | None


class CoachingOut(Out):
    id: UUID
    attached_by: str
    attached_at: datetime
    ended_at: datetime | None
    end_reason: str | None


class ProposalOut(Out):
    id: UUID
    proposed_by: Literal["professional", "resident"]
    professional_id: str | None
    proposed_at: datetime
    deadline: datetime | None
    state: str
    resolved_at: datetime | None
    message_id: UUID | None


class ClosedOut(Out):
    reason: str
    closed_by: Literal["resident", "professional", "system"]
    professional_id: str | None
    proposal_id: UUID | None
    closed_at: datetime
    statement: str | None


class ClosingOut(Out):
    pending_proposal: ProposalOut | None
    closes_at: datetime | None = Field(description="When an unanswered proposal closes the case.")
    closed: ClosedOut | None
    resident_may_answer: bool = Field(
        description="False once closed: no accepting, objecting or replying."
    )


class CustomerInformation(Out):
    name: str | None
    email: str | None
    phone: str | None
    email_notifications: bool
    sms_notifications: bool
    phone_contact: Literal["enabled", "not_enabled"]
    service_consents: Literal["given", "withdrawn", "unknown"] = Field(
        description="'unknown': anonymous, or no customer record yet."
    )


class BookingOut(Out):
    id: str
    case_id: UUID
    organisation_id: str
    status: str
    starts_at: datetime | None
    ends_at: datetime | None
    service_code: str | None
    location_id: str | None
    confirmed_at: datetime | None
    cancelled_at: datetime | None
    cancelled_by: str | None


class CasePage(Out):
    """A case with every section, as its resident (or their guardian) sees it."""

    id: UUID
    resident_id: UUID
    organisation_id: str
    kind: str
    origin: str
    identification: Literal["identified", "anonymous"]
    proxy_contact: bool
    language: str
    urgency: str | None
    urgency_rules: str | None = Field(description="Rule set that computed `urgency`.")
    urgency_basis: list[str] = Field(description="The rules of that set that matched.")
    call_emergency_number: bool = Field(description="P0: the resident was told to call 112.")
    private: bool
    created_at: datetime
    taken_by: str | None
    status: Literal["open", "closed"]
    summary: CaseSummary
    goals: list[GoalOut]
    tasks: list[TaskOut]
    coachings: list[CoachingOut]
    closing: ClosingOut
    customer_information: CustomerInformation
    bookings: list[BookingOut] = Field(
        description=f"The {MAX_LISTED} latest-starting bookings, in start order (unknown last)."
    )
    bookings_total: int = Field(
        description="All the case's bookings; more than listed: some omitted."
    )


class OtherOpenCase(Out):
    id: UUID
    kind: str
    created_at: datetime
    taken_by: str | None


class ProfessionalCasePage(CasePage):
    """The case page a professional sees: also the resident's other open cases here."""

    other_open_cases: list[OtherOpenCase] = Field(
        description=f"The {MAX_LISTED} newest, newest first."
    )
    other_open_cases_total: int = Field(
        description="All the resident's other open cases here; more than listed: some omitted."
    )


#: The most cases one page of `/me/cases` holds: a guardian with many children over years
#: can have hundreds, and one answer must stay small whatever the history.
MAX_PAGE = 100


class CaseListItem(Out):
    id: UUID
    resident_id: UUID = Field(description="Whose case: the resident's own or a child's.")
    kind: str
    language: str
    urgency: str | None
    created_at: datetime
    closed_at: datetime | None
    closing_reason: str | None
    private: bool


class CasesPage(Out):
    """One page of a list, newest first; `total` counts every item the list has."""

    items: list[CaseListItem]
    total: int
    limit: int
    offset: int


class ContactOut(Out):
    name: str | None
    email: str | None
    phone: str | None
    communication_language: Language
    email_notifications: bool
    sms_notifications: bool
    phone_contact_allowed: bool
    service_consents: bool
