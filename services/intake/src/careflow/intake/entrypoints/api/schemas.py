"""HTTP bodies (not contract models, not tables). Unknown fields are refused."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

from careflow.intake.application.read_case import MAX_LISTED

ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Language = Literal["fi", "sv", "en"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=5000)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FormIn(Body):
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
    phone: Annotated[str, StringConstraints(max_length=20)] | None = None
    refuse_phone_contact: bool = False
    for_myself: bool = Field(default=False, description="Save only for myself: a private record.")
    child_subject: Annotated[str, StringConstraints(min_length=1, max_length=128)] | None = Field(
        default=None, description="Submit as guardian for this child (proxy contact)."
    )
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="The form's answers; their limits (count, length, nesting) are the form "
        "policy's and a breach is a 422 problem.",
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
    completed: bool = False


class ContactIn(Body):
    communication_language: Language
    name: Annotated[str, StringConstraints(max_length=200)] | None = None
    email: Annotated[str, StringConstraints(max_length=254)] | None = None
    phone: Annotated[str, StringConstraints(max_length=20)] | None = None
    email_notifications: bool = False
    sms_notifications: bool = False
    phone_contact_allowed: bool = False


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
