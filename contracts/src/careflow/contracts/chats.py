"""Chat channels and live chats, published by messaging.

Two topics, because a topic has one key: `messaging.chats.v1` keyed by
`chat_id` (started, taken, transferred, ended: one chat's events stay in
order) and `messaging.chat-channels.v1` keyed by `channel_id` (state changed,
presence changed). Neither carries message text or the congestion notice's
wording: ids, codes, flags and times only. The transcript stays in messaging's
database, where the case conversation (the same service) picks it up.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from careflow.contracts.base import ContractEvent
from careflow.contracts.common import ExternalId, Language

ChannelState = Literal["open", "open_congested", "closed"]
ChannelVisibility = Literal["residents", "professionals"]
StateCause = Literal["created", "manual", "schedule"]
ChatEndReason = Literal["resident", "professional", "idle_timeout", "transferred_non_urgent"]


class ChatEvent(ContractEvent):
    key_field: ClassVar[str] = "chat_id"

    chat_id: UUID = Field(description="Id of the chat; the Kafka key.")
    organisation_id: ExternalId = Field(description="Organisation whose channel holds the chat.")


class ChatStarted(ChatEvent):
    """A resident started a chat in an open, resident-visible channel; it waits there."""

    event_type: ClassVar[str] = "careflow.chat.started.v1"

    channel_id: UUID = Field(description="The channel the chat waits in.")
    resident_id: UUID = Field(description="Pseudonymous id of the resident.")
    language: Language = Field(description="Language the resident chats in.")
    case_id: UUID | None = Field(default=None, description="The resident's case, if named.")
    started_at: AwareDatetime = Field(description="When the chat started (UTC).")


class ChatTaken(ChatEvent):
    """A professional present in the channel opened the chat; it is theirs."""

    event_type: ClassVar[str] = "careflow.chat.taken.v1"

    channel_id: UUID = Field(description="The channel the chat was taken from.")
    professional_id: ExternalId = Field(description="The professional who opened it.")
    taken_at: AwareDatetime = Field(description="When it was taken (UTC).")


class ChatTransferred(ChatEvent):
    """The chat moved to another channel (waiting there) or to non-urgent conversation."""

    event_type: ClassVar[str] = "careflow.chat.transferred.v1"

    from_channel_id: UUID = Field(description="The channel it left.")
    to_channel_id: UUID | None = Field(
        default=None, description="The channel it waits in now; null for non-urgent."
    )
    to_non_urgent: bool = Field(
        description="True: the conversation goes on asynchronously on the resident's case."
    )
    resident_id: UUID = Field(description="Pseudonymous id of the resident.")
    case_id: UUID | None = Field(default=None, description="The resident's case, if named.")
    transferred_by: ExternalId = Field(description="The professional who transferred it.")
    last_sequence: int = Field(ge=0, description="Messages 1..last_sequence make the transcript.")
    transferred_at: AwareDatetime = Field(description="When it was transferred (UTC).")


class ChatEnded(ChatEvent):
    """The live chat ended; its transcript is kept for the resident's case."""

    event_type: ClassVar[str] = "careflow.chat.ended.v1"

    channel_id: UUID = Field(description="The channel it was in when it ended.")
    resident_id: UUID = Field(description="Pseudonymous id of the resident.")
    case_id: UUID | None = Field(default=None, description="The resident's case, if named.")
    reason: ChatEndReason = Field(description="Who or what ended it.")
    last_sequence: int = Field(ge=0, description="Messages 1..last_sequence make the transcript.")
    ended_at: AwareDatetime = Field(description="When it ended (UTC).")


class ChannelEvent(ContractEvent):
    key_field: ClassVar[str] = "channel_id"

    channel_id: UUID = Field(description="Id of the chat channel; the Kafka key.")
    organisation_id: ExternalId = Field(description="Organisation the channel belongs to.")


class ChannelStateChanged(ChannelEvent):
    """A channel was created, opened, closed, or its congestion notice or visibility changed."""

    event_type: ClassVar[str] = "careflow.chat_channel.state_changed.v1"

    state: ChannelState = Field(description="Its state from now on.")
    visibility: ChannelVisibility = Field(description="Who sees the channel.")
    cause: StateCause = Field(description="A professional's change, or the opening hours.")
    changed_by: ExternalId | None = Field(
        default=None, description="The professional; null when the opening hours moved it."
    )
    changed_at: AwareDatetime = Field(description="When it changed (UTC).")


class ChatPresenceChanged(ChannelEvent):
    """A professional became present or absent in a channel, or changed new-chat notifications."""

    event_type: ClassVar[str] = "careflow.chat_presence.changed.v1"

    professional_id: ExternalId = Field(description="The professional.")
    present: bool = Field(description="Present (active) in the channel.")
    notify_email: bool = Field(description="Wants an email of each new chat.")
    notify_sound: bool = Field(description="Wants a sound on their socket for each new chat.")
    changed_at: AwareDatetime = Field(description="When it changed (UTC).")


class ChatCaseRequested(ChatEvent):
    """A chat naming no case moved to non-urgent: messaging asks intake to open the case the
    conversation goes on in (intake opens it once, with exactly `case_id`, as a case the
    transferring professional created; messaging then puts the transcript on it)."""

    event_type: ClassVar[str] = "careflow.chat.case_requested.v1"

    case_id: UUID = Field(
        description="Id the case is to have: derived from the chat id, so a repeated request "
        "opens no second case."
    )
    resident_id: UUID = Field(description="Pseudonymous id of the resident.")
    language: Language = Field(description="Language the resident chatted in; the case's.")
    requested_by: ExternalId = Field(description="The professional who moved it to non-urgent.")
    unit_id: ExternalId | None = Field(
        default=None, description="That professional's unit, if their token names one."
    )
    requested_at: AwareDatetime = Field(description="When it was moved (UTC).")


CHAT_EVENTS: tuple[type[ChatEvent], ...] = (
    ChatStarted,
    ChatTaken,
    ChatTransferred,
    ChatEnded,
    ChatCaseRequested,
)
CHANNEL_EVENTS: tuple[type[ChannelEvent], ...] = (ChannelStateChanged, ChatPresenceChanged)
