"""HTTP bodies (not contract models, not tables). Unknown fields are refused."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

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
    answers: dict[str, Any] = Field(default_factory=dict, max_length=500)


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
