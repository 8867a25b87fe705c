"""Who may receive a chat's content (messages, last message, transcript) — the one rule.

A professional receives content only while present in the chat's current
channel, of the chat's organisation, and the one who opened it. Everyone else
of the organisation gets header fields (waiting since, language, channel,
state) at most; a transfer to another channel takes the content away from the
sender unless they are present there and open it again. A resident receives
the content of their own chats only.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from uuid import UUID

from careflow.messaging.domain.chats import Chat, ChatMessage


def professional_sees_content(
    chat: Chat, *, professional_id: str, organisation_id: str, present_in: Collection[UUID]
) -> bool:
    """Whether this professional may receive the chat's content now."""
    return (
        chat.organisation_id == organisation_id
        and chat.channel_id in present_in
        and chat.taken_by == professional_id
    )


def professional_sees_header(chat: Chat, *, organisation_id: str) -> bool:
    """Header fields are the organisation's: any of its professionals may filter to them."""
    return chat.organisation_id == organisation_id


def resident_sees_content(chat: Chat, *, resident_id: UUID) -> bool:
    return chat.resident_id == resident_id


@dataclass(frozen=True)
class ChatHead:
    """What of a chat decides who may receive its content, and its last sequence number."""

    last_sequence: int
    status: str
    channel_id: UUID
    taken_by: str | None
    taker_present: bool

    @property
    def state(self) -> tuple[object, ...]:
        return (self.status, self.channel_id, self.taken_by, self.taker_present)


@dataclass(frozen=True)
class ChatSnapshot:
    """One statement's view: the chat, whether its taker is present in its channel, and
    messages after a sequence number (the access check and the content agree)."""

    chat: Chat
    taker_present: bool
    messages: list[ChatMessage]

    @property
    def head(self) -> ChatHead:
        c = self.chat
        return ChatHead(
            c.last_sequence, c.status.value, c.channel_id, c.taken_by, self.taker_present
        )
