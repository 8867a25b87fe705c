"""HTTP bodies of the chat routes (not contract models, not tables).

Chat header fields (waiting since, language, channel, state) are in
`ChatHeaderOut`; message text only ever in `MessageOut`, which only the
content routes return (the rule: domain.chat_access).
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID
from zoneinfo import available_timezones

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StringConstraints,
    model_validator,
)

from careflow.messaging.application.chat_reading import ChannelView
from careflow.messaging.domain.channels import Channel
from careflow.messaging.domain.chat_presence import Presence
from careflow.messaging.domain.chats import Chat, ChatMessage
from careflow.messaging.domain.opening_hours import Interval, OpeningHours

# What the request edges let through (no control character; in free text tab, line feed and
# carriage return), so a schema-valid body is never refused for its characters.
_CONTROL = r"\u0000-\u001F\u007F-\u009F"
_TEXT_CONTROL = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F"
Opens = Annotated[str, StringConstraints(pattern=r"^([01][0-9]|2[0-3]):[0-5][0-9]$")]
Closes = Annotated[str, StringConstraints(pattern=r"^(([01][0-9]|2[0-3]):[0-5][0-9]|24:00)$")]
Name = Annotated[
    str,
    StringConstraints(
        min_length=1, max_length=100, pattern=rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"
    ),
]
Notice = Annotated[str, StringConstraints(max_length=1000, pattern=rf"^[^{_TEXT_CONTROL}]*$")]
Email = Annotated[
    str,
    StringConstraints(
        max_length=254, pattern=r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$"
    ),
]
#: Every IANA zone this installation knows, so a schema-valid zone is a usable one.
TimeZone = StrEnum("TimeZone", {zone: zone for zone in sorted(available_timezones())})  # type: ignore[misc]
Language = Literal["fi", "sv", "en"]
Visibility = Literal["residents", "professionals"]
ChannelState = Literal["open", "open_congested", "closed"]


def _json_integer(value: object) -> object:
    # JSON Schema's integer: 6 and 6.0, not true or "6" (pydantic's lax int takes those).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("an integer is needed")
    return value


def _iso_text(value: object) -> object:
    # JSON has no date type: only the ISO text is one (pydantic would take a number too).
    if not isinstance(value, str):
        raise ValueError("a date is written YYYY-MM-DD")
    return value


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OpeningIn(_In):
    opens: Opens
    closes: Closes = Field(
        description="Exclusive; 24:00 = end of day; at or before `opens`: the next day's."
    )


class WeeklyIn(OpeningIn):
    weekday: Annotated[int, BeforeValidator(_json_integer)] = Field(
        ge=0, le=6, description="0 = Monday."
    )


class ExceptionIn(_In):
    date: Annotated[date, BeforeValidator(_iso_text)]
    openings: list[OpeningIn] = Field(
        default_factory=list, max_length=8, description="Empty: closed all day."
    )


class OpeningHoursIn(_In):
    time_zone: TimeZone  # type: ignore[valid-type]
    weekly: list[WeeklyIn] = Field(default_factory=list, max_length=56)
    exceptions: list[ExceptionIn] = Field(default_factory=list, max_length=366)

    def to_domain(self) -> OpeningHours:
        weekly: dict[int, list[Interval]] = {}
        for w in self.weekly:
            weekly.setdefault(w.weekday, []).append(Interval.parse(w.opens, w.closes))
        exceptions: dict[date, tuple[Interval, ...]] = {}
        for e in self.exceptions:  # two entries of one date: both its openings
            parsed = tuple(Interval.parse(o.opens, o.closes) for o in e.openings)
            exceptions[e.date] = exceptions.get(e.date, ()) + parsed
        return OpeningHours(
            self.time_zone.value, {d: tuple(v) for d, v in weekly.items()}, exceptions
        )


class OpeningHoursBody(_In):
    opening_hours: OpeningHoursIn | None = Field(description="null removes the hours.")


class ChannelIn(_In):
    name: Name
    visibility: Visibility
    opening_hours: OpeningHoursIn | None = None


class ChannelPatch(_In):
    name: Name | None = None
    visibility: Visibility | None = None
    open: StrictBool | None = None
    congestion_notice: StrictBool | None = None
    congestion_text: Notice | None = None


class PresenceIn(_In):
    """Own presence and new-chat notifications in a channel; email notifications need the
    work address (the validator below, stated in the OpenAPI)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "if": {"properties": {"notify_email": {"const": True}}, "required": ["notify_email"]},
            "then": {"required": ["email"], "properties": {"email": {"type": "string"}}},
        },
    )

    present: StrictBool
    notify_email: StrictBool = False
    notify_sound: StrictBool = False
    email: Email | None = None
    language: Language = "fi"

    @model_validator(mode="after")
    def _email_for_email(self) -> PresenceIn:
        if self.notify_email and self.email is None:
            raise ValueError("email notifications need the work email address")
        return self


class ChatIn(_In):
    channel_id: UUID
    language: Language
    case_id: UUID | None = None
    notice_seen: StrictBool = Field(
        default=False, description="Must be true when the channel shows a congestion notice."
    )


class TransferIn(_In):
    """Exactly one of `to_channel_id` or `non_urgent: true` (stated in the OpenAPI)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["to_channel_id"],
                    "properties": {"to_channel_id": {"type": "string"}},
                },
                {"required": ["non_urgent"], "properties": {"non_urgent": {"const": True}}},
            ]
        },
    )

    to_channel_id: UUID | None = Field(default=None, description="Target channel.")
    non_urgent: StrictBool = Field(
        default=False, description="True: to non-urgent conversation on the resident's case."
    )

    @model_validator(mode="after")
    def _one_target(self) -> TransferIn:
        if (self.to_channel_id is None) != self.non_urgent:
            raise ValueError("give exactly one of to_channel_id or non_urgent: true")
        return self


class OpeningOut(BaseModel):
    opens: str
    closes: str


class OpeningHoursOut(BaseModel):
    time_zone: str
    weekly: dict[int, list[OpeningOut]]
    exceptions: dict[date, list[OpeningOut]]

    @classmethod
    def of(cls, hours: OpeningHours | None) -> OpeningHoursOut | None:
        if hours is None:
            return None

        def spans(v: tuple[Interval, ...]) -> list[OpeningOut]:
            return [OpeningOut(opens=a, closes=b) for a, b in (i.label() for i in v)]

        return cls(
            time_zone=hours.time_zone,
            weekly={d: spans(v) for d, v in sorted(hours.weekly.items())},
            exceptions={d: spans(v) for d, v in sorted(hours.exceptions.items())},
        )


class ChannelOut(BaseModel):
    channel_id: UUID
    name: str
    visibility: Visibility
    state: ChannelState
    congestion_notice: str | None = Field(description="Shown to residents before they start.")
    opening_hours: OpeningHoursOut | None
    next_change_at: datetime | None

    @classmethod
    def of(cls, c: Channel) -> ChannelOut:
        return cls(
            channel_id=c.channel_id, name=c.name, visibility=c.visibility.value,
            state=c.state.value, congestion_notice=c.notice,
            opening_hours=OpeningHoursOut.of(c.opening_hours), next_change_at=c.next_transition_at,
        )  # fmt: skip


class ResidentChannelOut(BaseModel):
    channel_id: UUID
    name: str
    state: ChannelState
    congestion_notice: str | None

    @classmethod
    def of(cls, c: Channel) -> ResidentChannelOut:
        return cls(
            channel_id=c.channel_id, name=c.name, state=c.state.value, congestion_notice=c.notice
        )


class PresenceOut(BaseModel):
    channel_id: UUID
    present: bool
    notify_email: bool
    notify_sound: bool

    @classmethod
    def of(cls, channel_id: UUID, p: Presence | None) -> PresenceOut:
        if p is None:
            return cls(channel_id=channel_id, present=False, notify_email=False, notify_sound=False)
        return cls(
            channel_id=channel_id,
            present=p.present,
            notify_email=p.notify_email,
            notify_sound=p.notify_sound,
        )


class ChatHeaderOut(BaseModel):
    """What anyone of the organisation may see of a chat: never its content."""

    chat_id: UUID
    channel_id: UUID
    status: Literal["waiting", "taken", "ended"]
    language: Language
    waiting_since: datetime
    taken_by: str | None
    ended_reason: str | None

    @classmethod
    def of(cls, c: Chat) -> ChatHeaderOut:
        return cls(
            chat_id=c.chat_id, channel_id=c.channel_id, status=c.status.value, language=c.language,
            waiting_since=c.waiting_since, taken_by=c.taken_by,
            ended_reason=c.end_reason.value if c.end_reason else None,
        )  # fmt: skip


class QueueChannelOut(BaseModel):
    channel: ChannelOut
    own: PresenceOut
    waiting: list[ChatHeaderOut]

    @classmethod
    def of(cls, v: ChannelView) -> QueueChannelOut:
        return cls(
            channel=ChannelOut.of(v.channel),
            own=PresenceOut.of(v.channel.channel_id, v.presence),
            waiting=[ChatHeaderOut.of(c) for c in v.waiting],
        )


class QueueOut(BaseModel):
    channels: list[QueueChannelOut]


class StartedChatOut(BaseModel):
    chat: ChatHeaderOut
    congestion_notice: str | None


class MessageOut(BaseModel):
    sequence: int
    sender: Literal["resident", "professional"]
    text: str
    sent_at: datetime

    @classmethod
    def of(cls, m: ChatMessage) -> MessageOut:
        return cls(sequence=m.sequence, sender=m.sender_kind.value, text=m.text, sent_at=m.sent_at)


class MessagesOut(BaseModel):
    chat: ChatHeaderOut
    messages: list[MessageOut]
