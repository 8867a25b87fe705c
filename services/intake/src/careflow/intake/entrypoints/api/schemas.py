"""HTTP bodies (not contract models, not tables). Unknown fields are refused."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StringConstraints

from careflow.intake.domain.forms import ASSESSMENT_URGENCIES, PHONE_REQUIRED

ExternalId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")]
Language = Literal["fi", "sv", "en"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=5000)]
# The domain's rules (domain/text.py) stated in the OpenAPI, so a request the
# schema allows is one the domain accepts; none lets a control character in.
_NO_CONTROL = r"\x00-\x1f\x7f-\x9f"
Phone = Annotated[str, StringConstraints(max_length=20, pattern=r"^\+[1-9][0-9]{6,14}$")]
_EMAIL = rf"^[^@\s{_NO_CONTROL}]{{1,64}}@[^@\s{_NO_CONTROL}]+\.[^@\s{_NO_CONTROL}]+$"
_NOT_BLANK = rf"^[^{_NO_CONTROL}]*[^\s{_NO_CONTROL}][^{_NO_CONTROL}]*$"


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
    # The domain's rule (domain/forms.py), stated in the OpenAPI.
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "allOf": [
                {
                    "if": {"properties": {"kind": {"const": "symptom_assessment"}}},
                    "then": {
                        "properties": {"urgency": {"enum": sorted(ASSESSMENT_URGENCIES)}},
                        "required": ["urgency"],
                    },
                    "else": {"properties": {"urgency": {"type": "null"}}},
                },
                {
                    "if": {
                        "properties": {
                            "kind": {"enum": sorted(PHONE_REQUIRED)},
                            "for_myself": {"const": False},
                        }
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
    urgency: Literal["P0", "P1", "P2", "P3", "P4", "P5", "P6", "P7", "P8"] | None = None
    phone: Phone | None = None
    refuse_phone_contact: StrictBool = False
    for_myself: StrictBool = Field(
        default=False, description="Save only for myself: a private record."
    )
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
