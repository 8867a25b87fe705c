"""One live chat: waiting in a channel -> taken by a present professional -> transferred or ended.

Lifecycle:
- `start` (a resident, in an open resident-visible channel): WAITING.
- `take` (a professional present in the chat's channel): TAKEN; the application
  makes it a conditional update, so of two at once one wins and the other is
  refused with `ChatAlreadyTaken`.
- `transfer_to_channel` (the taker): WAITING again in the target channel, nobody's.
- `transfer_to_non_urgent` (the taker): ENDED (`transferred_non_urgent`); the
  conversation goes on asynchronously on the resident's case with this transcript.
- `end` by the resident (waiting or taken) or the taker; `expire_if_idle` after
  the configured idle time with no message in a TAKEN chat (a waiting chat's
  silence is the professionals' side, so it does not end the resident's chat).

Messages carry per-chat sequence numbers 1, 2, 3, ...; a reconnecting client
asks for everything after the last number it saw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from uuid import UUID

from careflow.messaging.domain import chat_events as ev
from careflow.messaging.domain.channels import Channel
from careflow.messaging.domain.chat_errors import (
    ChatAlreadyTaken,
    ChatNotAllowed,
    ChatStateConflict,
    InvalidChatRequest,
    NotPresent,
)
from careflow.messaging.domain.chat_presence import LANGUAGES, Presence

MAX_MESSAGE = 5000


class ChatStatus(StrEnum):
    WAITING = "waiting"
    TAKEN = "taken"
    ENDED = "ended"


class EndReason(StrEnum):
    RESIDENT = "resident"
    PROFESSIONAL = "professional"
    IDLE = "idle_timeout"
    NON_URGENT = "transferred_non_urgent"


class SenderKind(StrEnum):
    RESIDENT = "resident"
    PROFESSIONAL = "professional"


@dataclass(frozen=True)
class ChatMessage:
    chat_id: UUID
    sequence: int
    sender_kind: SenderKind
    sender_id: str
    text: str
    sent_at: datetime


def clean_text(text: str) -> str:
    """Plain text, 1-5,000 characters, no control characters but newline and tab."""
    text = text.strip()
    if not text or len(text) > MAX_MESSAGE:
        raise InvalidChatRequest(f"A chat message is 1-{MAX_MESSAGE} characters.")
    if any((ch < " " and ch not in "\n\t") or ch == "\x7f" for ch in text):
        raise InvalidChatRequest("A chat message may not contain control characters.")
    return text


def require_present(presence: Presence | None, channel_id: UUID) -> None:
    if presence is None or not presence.present or presence.channel_id != channel_id:
        raise NotPresent("You are not present in this chat's channel.")


@dataclass
class Chat:
    chat_id: UUID
    organisation_id: str
    channel_id: UUID
    resident_id: UUID
    language: str
    case_id: UUID | None
    started_at: datetime
    waiting_since: datetime
    last_activity_at: datetime
    status: ChatStatus = ChatStatus.WAITING
    taken_by: str | None = None
    taken_at: datetime | None = None
    ended_at: datetime | None = None
    end_reason: EndReason | None = None
    last_sequence: int = 0
    events: list[ev.ChatDomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def start(
        cls,
        *,
        chat_id: UUID,
        channel: Channel,
        resident_id: UUID,
        language: str,
        case_id: UUID | None,
        now: datetime,
    ) -> Chat:
        """A resident starts a chat; only an open channel visible to residents takes it."""
        channel.accept_resident_chat()
        if language not in LANGUAGES:
            raise InvalidChatRequest("Language is fi, sv or en.")
        chat = cls(
            chat_id, channel.organisation_id, channel.channel_id, resident_id, language,
            case_id, now, now, now,
        )  # fmt: skip
        chat.events.append(
            ev.ChatStarted(
                at=now, chat_id=chat_id, channel_id=channel.channel_id,
                organisation_id=channel.organisation_id, resident_id=resident_id,
                language=language, case_id=case_id,
            )
        )  # fmt: skip
        return chat

    @property
    def is_live(self) -> bool:
        return self.status is not ChatStatus.ENDED

    def take(self, professional_id: str, presence: Presence | None, now: datetime) -> None:
        """A present professional opens a waiting chat; it becomes theirs."""
        require_present(presence, self.channel_id)
        if self.status is ChatStatus.TAKEN:
            raise ChatAlreadyTaken("Another professional opened this chat first.")
        self._require_live()
        self.status, self.taken_by, self.taken_at = ChatStatus.TAKEN, professional_id, now
        self.last_activity_at = now
        self.events.append(
            ev.ChatTaken(
                at=now, chat_id=self.chat_id, channel_id=self.channel_id,
                organisation_id=self.organisation_id, professional_id=professional_id,
            )
        )  # fmt: skip

    def post(self, kind: SenderKind, sender_id: str, text: str, now: datetime) -> ChatMessage:
        """The next message: the resident writes while live, a professional once taken."""
        self._require_live()
        if kind is SenderKind.RESIDENT and sender_id != str(self.resident_id):
            raise ChatNotAllowed("Only the chat's resident writes as the resident.")
        if kind is SenderKind.PROFESSIONAL and (
            self.status is not ChatStatus.TAKEN or self.taken_by != sender_id
        ):
            raise ChatNotAllowed("Only the professional who opened the chat writes in it.")
        self.last_sequence += 1
        self.last_activity_at = now
        return ChatMessage(self.chat_id, self.last_sequence, kind, sender_id, clean_text(text), now)

    def transfer_to_channel(
        self, target: Channel, by: str, presence: Presence | None, now: datetime
    ) -> None:
        """The taker hands the chat to another open channel of the organisation, where it waits."""
        self._require_taker(by, presence)
        if target.organisation_id != self.organisation_id:
            raise InvalidChatRequest("The target channel is not this organisation's.")
        if target.channel_id == self.channel_id:
            raise InvalidChatRequest("The chat is already in that channel.")
        target.accept_transfer()
        source = self.channel_id
        self.channel_id, self.status, self.taken_by, self.taken_at = (
            target.channel_id, ChatStatus.WAITING, None, None,
        )  # fmt: skip
        self.waiting_since = self.last_activity_at = now
        self._transferred(source, target.channel_id, by, now)

    def transfer_to_non_urgent(self, by: str, presence: Presence | None, now: datetime) -> None:
        """The taker moves the conversation to the resident's case; the live chat ends."""
        self._require_taker(by, presence)
        self._transferred(self.channel_id, None, by, now)
        self._end(EndReason.NON_URGENT, now)

    def end_by_resident(self, resident_id: UUID, now: datetime) -> None:
        if resident_id != self.resident_id:
            raise ChatNotAllowed("Only the chat's resident ends it as the resident.")
        self._require_live()
        self._end(EndReason.RESIDENT, now)

    def end_by_professional(self, by: str, presence: Presence | None, now: datetime) -> None:
        self._require_taker(by, presence)
        self._end(EndReason.PROFESSIONAL, now)

    def idle_deadline(self, idle_after: timedelta) -> datetime | None:
        """When a taken chat with no further message ends; None while waiting or ended."""
        if self.status is not ChatStatus.TAKEN:
            return None
        return self.last_activity_at + idle_after

    def expire_if_idle(self, now: datetime, idle_after: timedelta) -> bool:
        """Ends a taken chat at or after its idle deadline; True when it ended now."""
        deadline = self.idle_deadline(idle_after)
        if deadline is None or now < deadline:
            return False
        self._end(EndReason.IDLE, now)
        return True

    def _require_live(self) -> None:
        if self.status is ChatStatus.ENDED:
            raise ChatStateConflict("The chat has ended.")

    def _require_taker(self, by: str, presence: Presence | None) -> None:
        self._require_live()
        require_present(presence, self.channel_id)
        if self.status is not ChatStatus.TAKEN or self.taken_by != by:
            raise ChatNotAllowed("Only the professional who opened the chat may do this.")

    def _transferred(self, source: UUID, target: UUID | None, by: str, now: datetime) -> None:
        self.events.append(
            ev.ChatTransferred(
                at=now, chat_id=self.chat_id, organisation_id=self.organisation_id,
                from_channel_id=source, to_channel_id=target, to_non_urgent=target is None,
                by=by, resident_id=self.resident_id, case_id=self.case_id,
                last_sequence=self.last_sequence,
            )
        )  # fmt: skip

    def _end(self, reason: EndReason, now: datetime) -> None:
        self.status, self.ended_at, self.end_reason = ChatStatus.ENDED, now, reason
        self.events.append(
            ev.ChatEnded(
                at=now, chat_id=self.chat_id, channel_id=self.channel_id,
                organisation_id=self.organisation_id, resident_id=self.resident_id,
                case_id=self.case_id, reason=reason.value, last_sequence=self.last_sequence,
            )
        )  # fmt: skip
