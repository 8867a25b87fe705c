"""HTTP request and response bodies (not contract models, not tables)."""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import annotated_types
from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from careflow.contracts.common import ExternalId
from careflow.reminders.domain.bookings import OrganisationSettings
from careflow.reminders.domain.due_status import due_colour
from careflow.reminders.domain.reminder import Reminder
from careflow.reminders.domain.rules import Rule

Channel = Literal["email", "sms"]
Language = Literal["fi", "sv", "en"]
Text = Annotated[str, StringConstraints(min_length=1, max_length=2000)]
Name = Annotated[str, StringConstraints(min_length=1, max_length=200)]


_DAY = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
_INSTANT = re.compile(
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})$"
)


def _text_matching(pattern: re.Pattern[str], what: str) -> Any:
    def check(value: object) -> object:
        # Only the ISO text: pydantic would also take a number (a Unix time) or "0".
        if not isinstance(value, str) or not pattern.fullmatch(value):
            raise ValueError(f"must be {what}")
        return value

    return BeforeValidator(check)


#: A calendar day, YYYY-MM-DD (nothing else pydantic would read as a date).
Day = Annotated[date, _text_matching(_DAY, "a date YYYY-MM-DD")]
#: A moment with its offset, RFC 3339.
Moment = Annotated[AwareDatetime, _text_matching(_INSTANT, "an RFC 3339 date-time with offset")]


def _no_bool(value: object) -> object:
    # JSON true/false are not numbers, though pydantic would read them as 1/0.
    if isinstance(value, bool):
        raise ValueError("must be a whole number")
    return value


Whole = Annotated[int, BeforeValidator(_no_bool)]
#: Days, 0-3650 (a send day counted back from the due date, or the due date from the visit).
Days = Annotated[int, annotated_types.Interval(ge=0, le=3650), BeforeValidator(_no_bool)]
Channels = Annotated[
    list[Channel], Field(min_length=1, max_length=2, json_schema_extra={"uniqueItems": True})
]


def _not_null(schema: dict[str, Any]) -> None:
    """An optional member may be absent, never null: its schema loses the null branch."""
    for prop in schema.get("properties", {}).values():
        branches = prop.get("anyOf")
        if branches and {"type": "null"} in branches:
            rest = [b for b in branches if b != {"type": "null"}]
            prop.pop("anyOf")
            prop.pop("default", None)
            if len(rest) == 1:
                prop.update(rest[0])
            else:
                prop["anyOf"] = rest


def _one_of_template_or_text(schema: dict[str, Any]) -> None:
    _not_null(schema)
    schema["oneOf"] = [
        {"required": ["template_id"], "not": {"required": ["text"]}},
        {"required": ["text"], "not": {"required": ["template_id"]}},
    ]


class _Body(BaseModel):
    # Commands reject unknown members: a typo must not silently do nothing.
    model_config = ConfigDict(extra="forbid", json_schema_extra=_not_null)

    @model_validator(mode="before")
    @classmethod
    def _absent_not_null(cls, data: Any) -> Any:
        if isinstance(data, dict) and any(v is None for v in data.values()):
            raise ValueError("leave an optional member out rather than null")
        return data


class SendOut(BaseModel):
    send_id: UUID
    send_at: datetime
    status: Literal["scheduled", "requested", "withdrawn", "skipped"]
    reason: str | None


class ReminderOut(BaseModel):
    reminder_id: UUID
    resident_id: UUID | None
    kind: Literal["appointment", "patient", "internal"]
    source: Literal["booking", "rule", "manual"]
    status: Literal["active", "cancelled"]
    due_date: date
    due_colour: Literal["black", "yellow", "red"] = Field(
        description="From the due date only: black 31+ days ahead, yellow within 30, red overdue."
    )
    channels: list[Channel]
    booking_id: str | None
    rule_id: UUID | None
    code: str | None
    template_id: UUID | None
    template_version: int | None
    text: str | None
    assignee: str | None
    sends: list[SendOut]

    @classmethod
    def of(cls, reminder: Reminder, today: date) -> ReminderOut:
        return cls(
            reminder_id=reminder.reminder_id,
            resident_id=reminder.resident_id,
            kind=reminder.kind.value,
            source=reminder.source.value,
            status=reminder.status.value,
            due_date=reminder.due_date,
            due_colour=due_colour(reminder.due_date, today).value,
            channels=list(reminder.channels),  # type: ignore[arg-type]
            booking_id=reminder.booking_id,
            rule_id=reminder.rule_id,
            code=reminder.code,
            template_id=reminder.template_id,
            template_version=reminder.template_version,
            text=reminder.text,
            assignee=reminder.assignee,
            sends=[
                SendOut(
                    send_id=s.send_id, send_at=s.send_at, status=s.status.value, reason=s.reason
                )
                for s in reminder.sends
            ],
        )


class ReminderListOut(BaseModel):
    items: list[ReminderOut]


class ManualReminderBody(_Body):
    """Exactly one of `template_id` or `text`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra=lambda schema: _one_of_template_or_text(schema),
    )

    due_date: Day
    send_times: list[Moment] = Field(min_length=1, max_length=10)
    channels: Channels
    template_id: UUID | None = None
    text: Text | None = None

    @model_validator(mode="after")
    def _one_source(self) -> ManualReminderBody:
        if (self.template_id is None) == (self.text is None):
            raise ValueError("give exactly one of template_id or text")
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels repeat")
        return self


class InternalReminderBody(_Body):
    due_date: Day
    text: Text
    assignee: ExternalId | None = None


class SettingsBody(_Body):
    appointment_lead_minutes: Whole = Field(ge=5, le=60 * 24 * 30)
    appointment_channels: Channels

    @model_validator(mode="after")
    def _distinct(self) -> SettingsBody:
        if len(set(self.appointment_channels)) != len(self.appointment_channels):
            raise ValueError("channels repeat")
        return self


class SettingsOut(BaseModel):
    organisation_id: str
    appointment_lead_minutes: int
    appointment_channels: list[Channel]

    @classmethod
    def of(cls, s: OrganisationSettings) -> SettingsOut:
        return cls(
            organisation_id=s.organisation_id,
            appointment_lead_minutes=int(s.appointment_lead.total_seconds() // 60),
            appointment_channels=list(s.appointment_channels),  # type: ignore[arg-type]
        )


class CodeCondition(_Body):
    """The service or product code, or one of the visit's diagnosis codes, equals `value`."""

    kind: Literal["code", "diagnosis"]
    value: ExternalId


class NumberCondition(_Body):
    """Age in years at least / at most, or visits of the code at least, `value`."""

    kind: Literal["min_age", "max_age", "min_visits"]
    value: Annotated[str, StringConstraints(pattern=r"^[0-9]{1,4}$")]


ConditionBody = Annotated[CodeCondition | NumberCondition, Field(discriminator="kind")]


class RuleBody(_Body):
    name: Name
    trigger: Literal["service_performed", "item_added"]
    match: Literal["all", "any"] = "all"
    conditions: list[ConditionBody] = Field(default_factory=list, max_length=20)
    template_id: UUID | None = None
    channels: list[Channel] = Field(
        default_factory=list,
        max_length=2,
        description="None: an internal reminder for staff.",
        json_schema_extra={"uniqueItems": True},
    )
    days_until_due: Whole = Field(ge=0, le=3650)
    days_before_due: list[Days] = Field(default_factory=list, max_length=10)
    active: StrictBool = True

    @model_validator(mode="after")
    def _distinct(self) -> RuleBody:
        if len(set(self.channels)) != len(self.channels):
            raise ValueError("channels repeat")
        return self


class RuleOut(BaseModel):
    rule_id: UUID
    name: str
    trigger: str
    match: str
    conditions: list[dict[str, str]]
    template_id: UUID | None
    channels: list[str]
    days_until_due: int
    days_before_due: list[int]
    active: bool

    @classmethod
    def of(cls, rule: Rule) -> RuleOut:
        return cls(
            rule_id=rule.rule_id,
            name=rule.name,
            trigger=rule.trigger.value,
            match=rule.match.value,
            conditions=[{"kind": c.kind.value, "value": c.value} for c in rule.conditions],
            template_id=rule.template_id,
            channels=list(rule.channels),
            days_until_due=rule.days_until_due,
            days_before_due=list(rule.days_before_due),
            active=rule.active,
        )


class RuleSavedOut(BaseModel):
    rule: RuleOut
    overlapping_rules: list[UUID] = Field(
        description="Active rules that fire on the same events: a warning, the rule is saved."
    )


class RuleListOut(BaseModel):
    items: list[RuleOut]


class TemplateBody(_Body):
    name: Name
    texts: dict[Language, Text] = Field(min_length=1)


class TemplateOut(BaseModel):
    template_id: UUID


class TextBody(_Body):
    text: Text
    update_unsent: StrictBool = Field(
        default=False, description="Also put the new text on the messages not sent yet."
    )


class TextChangeOut(BaseModel):
    template_id: UUID
    language: str
    version: int
    unsent_affected: int = Field(description="Unsent messages on an older version of the text.")
    updated: int = Field(description="How many of them now carry the new text.")
