"""A chat naming no case, moved to non-urgent, goes on in a case intake opens for it.

Rules (pure): which chat needs a case, the case's id (derived from the chat's, so a
repeated request names the same case and intake opens it once), and the transcript as
case messages — each chat message becomes one message of its own side, in order, with
its own time, so the resident's lines count as unread resident messages for the
professionals (the work-queue item shows them) and the professional's as theirs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid5

from careflow.messaging.domain.chats import Chat, ChatMessage, EndReason, SenderKind
from careflow.messaging.domain.messages import Message, Side

#: Namespace of the ids derived from a chat's (the case's, its transcript messages').
CHAT_CASE_NAMESPACE = UUID("0d7c1a52-4f7e-4a0e-93f1-2b6b5c7e8a31")

SIDES = {SenderKind.RESIDENT: Side.RESIDENT, SenderKind.PROFESSIONAL: Side.PROFESSIONAL}


@dataclass(frozen=True)
class ChatCaseRequest:
    """Messaging asked intake for `case_id`; `attached_at` once the transcript is on it."""

    chat_id: UUID
    case_id: UUID
    requested_at: datetime
    attached_at: datetime | None = None


def case_id_for_chat(chat_id: UUID) -> UUID:
    return uuid5(CHAT_CASE_NAMESPACE, f"case:{chat_id}")


def needs_case(chat: Chat) -> bool:
    """Only a move to non-urgent asks for a case: the conversation must go on somewhere. A chat
    that merely ends is settled; its transcript stays in `chat_messages` (by resident id)."""
    return chat.case_id is None and chat.end_reason is EndReason.NON_URGENT


def transcript_messages(case_id: UUID, transcript: list[ChatMessage]) -> list[Message]:
    """The chat's messages as the case's, in sequence order; ids derived (chat, sequence)."""
    return [
        Message(
            id=uuid5(CHAT_CASE_NAMESPACE, f"message:{m.chat_id}:{m.sequence}"),
            case_id=case_id,
            author_side=SIDES[m.sender_kind],
            author_id=m.sender_id,
            body=m.text,
            sent_at=m.sent_at,
        )
        for m in sorted(transcript, key=lambda m: m.sequence)
    ]
