"""What happened to channels, presences and chats; the application maps them to contracts.

None carries message text: these become events on a topic other services read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class ChatDomainEvent:
    at: datetime


@dataclass(frozen=True)
class ChannelStateChanged(ChatDomainEvent):
    channel_id: UUID
    organisation_id: str
    #: "open", "open_congested" or "closed" (domain.channels.ChannelState).
    state: str
    visibility: str
    #: "manual" (a professional), "schedule" (the opening-hours timer) or "created".
    cause: str
    changed_by: str | None


@dataclass(frozen=True)
class PresenceChanged(ChatDomainEvent):
    channel_id: UUID
    organisation_id: str
    professional_id: str
    present: bool
    notify_email: bool
    notify_sound: bool


@dataclass(frozen=True)
class ChatStarted(ChatDomainEvent):
    chat_id: UUID
    channel_id: UUID
    organisation_id: str
    resident_id: UUID
    language: str
    case_id: UUID | None


@dataclass(frozen=True)
class ChatTaken(ChatDomainEvent):
    chat_id: UUID
    channel_id: UUID
    organisation_id: str
    professional_id: str


@dataclass(frozen=True)
class ChatTransferred(ChatDomainEvent):
    chat_id: UUID
    organisation_id: str
    from_channel_id: UUID
    #: None when moved to non-urgent (asynchronous) conversation on a case.
    to_channel_id: UUID | None
    to_non_urgent: bool
    by: str
    resident_id: UUID
    case_id: UUID | None
    last_sequence: int


@dataclass(frozen=True)
class ChatEnded(ChatDomainEvent):
    chat_id: UUID
    channel_id: UUID
    organisation_id: str
    resident_id: UUID
    case_id: UUID | None
    #: domain.chats.EndReason value.
    reason: str
    last_sequence: int
