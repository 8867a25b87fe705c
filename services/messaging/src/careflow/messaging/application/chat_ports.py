"""What the chat use cases need from the world; adapters implement these, fakes test them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol, Self
from uuid import UUID

from careflow.contracts.base import ContractEvent
from careflow.messaging.domain.audit import AuditRecord
from careflow.messaging.domain.channels import Channel
from careflow.messaging.domain.chat_access import ChatHead, ChatSnapshot
from careflow.messaging.domain.chat_case import ChatCaseRequest
from careflow.messaging.domain.chat_presence import Presence
from careflow.messaging.domain.chats import Chat, ChatMessage
from careflow.messaging.domain.messages import CaseFacts, Message, Side


class Channels(Protocol):
    async def get(self, channel_id: UUID, *, for_update: bool = False) -> Channel | None: ...
    async def add(self, channel: Channel) -> None: ...
    async def save(self, channel: Channel) -> None: ...
    async def of_organisation(self, organisation_id: str) -> list[Channel]: ...
    async def due(self, now: datetime, limit: int) -> list[Channel]:
        """Channels whose schedule changes at or before `now`, locked, skipping locked ones."""
        ...


class Presences(Protocol):
    async def get(self, channel_id: UUID, professional_id: str) -> Presence | None: ...
    async def save(self, presence: Presence) -> None: ...
    async def of_professional(
        self, organisation_id: str, professional_id: str
    ) -> list[Presence]: ...
    async def present_in(self, channel_id: UUID) -> list[Presence]: ...


class Chats(Protocol):
    async def get(self, chat_id: UUID, *, for_update: bool = False) -> Chat | None: ...
    async def add(self, chat: Chat) -> None: ...
    async def save(self, chat: Chat) -> None: ...
    async def waiting_in(self, channel_ids: Sequence[UUID]) -> list[Chat]: ...
    async def idle_since(self, before: datetime, limit: int) -> list[Chat]:
        """Taken chats with no activity since `before`, locked, skipping locked ones."""
        ...


class ChatMessages(Protocol):
    async def add(self, message: ChatMessage, client_message_id: UUID) -> None: ...
    async def by_client_id(self, chat_id: UUID, client_message_id: UUID) -> ChatMessage | None: ...
    async def after(self, chat_id: UUID, sequence: int, limit: int) -> list[ChatMessage]: ...


class Signals(Protocol):
    """Real-time nudges, delivered when the transaction commits (PostgreSQL NOTIFY); ids only
    (and a message's sequence number)."""

    async def chat_changed(self, chat_id: UUID) -> None: ...
    async def message_posted(self, chat_id: UUID, sequence: int) -> None: ...
    async def new_chat(self, channel_id: UUID, chat_id: UUID) -> None: ...
    async def presence_changed(self, professional_id: str) -> None: ...


class ChatSnapshots(Protocol):
    """Live delivery's reads: each one statement outside any unit of work."""

    async def read(self, chat_id: UUID, after: int, limit: int) -> ChatSnapshot | None:
        """The chat (None if there is none), its taker's presence, messages after `after`."""
        ...

    async def heads(self, chat_ids: Sequence[UUID]) -> dict[UUID, ChatHead]: ...


class ReadAudits(Protocol):
    """Audit records written by themselves (committed when the call returns)."""

    async def record(self, records: Sequence[AuditRecord]) -> None: ...


class CaseRecords(Protocol):
    """Messaging's knowledge of cases (the case-message half's)."""

    async def get(self, case_id: UUID, *, for_update: bool = False) -> CaseFacts | None: ...


class CaseConversation(Protocol):
    """The case-message half's store, where a chat moved to non-urgent goes on."""

    async def add(self, message: Message) -> Message: ...
    async def unread(self, case_id: UUID, reader: Side) -> int: ...


class ChatCaseRequests(Protocol):
    """Cases asked of intake for chats moved to non-urgent without one."""

    async def add(self, request: ChatCaseRequest) -> None: ...
    async def for_case(self, case_id: UUID) -> ChatCaseRequest | None:
        """The request naming the case, locked; None when no chat asked for it."""
        ...

    async def attached(self, chat_id: UUID, at: datetime) -> None: ...


class ChatAudit(Protocol):
    async def record(self, records: list[AuditRecord]) -> None: ...


class Outbox(Protocol):
    def add(self, event: ContractEvent, *, occurred_at: datetime | None = None) -> str: ...


class ChatPostUnitOfWork(Protocol):
    """What writing a chat message needs (a lighter unit of work than the chat's whole)."""

    chats: Chats
    presences: Presences
    chat_messages: ChatMessages
    signals: Signals

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...


class ChatUnitOfWork(Protocol):
    channels: Channels
    presences: Presences
    chats: Chats
    chat_messages: ChatMessages
    signals: Signals
    chat_cases: ChatCaseRequests
    audit: ChatAudit
    cases: CaseRecords
    messages: CaseConversation
    outbox: Outbox

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...
