"""In-memory chat unit of work for the use cases' unit tests (the ports, no I/O)."""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from careflow.messaging.domain.channels import Channel
from careflow.messaging.domain.chat_case import ChatCaseRequest
from careflow.messaging.domain.chat_presence import Presence
from careflow.messaging.domain.chats import Chat, ChatMessage, ChatStatus
from careflow.messaging.domain.messages import CaseFacts, Message, Side


class Store:
    """What survives a commit; a unit of work works on copies until it commits."""

    def __init__(self) -> None:
        self.channels: dict[UUID, Channel] = {}
        self.presences: dict[tuple[UUID, str], Presence] = {}
        self.chats: dict[UUID, Chat] = {}
        self.messages: dict[UUID, list[tuple[ChatMessage, UUID]]] = {}
        self.outbox: list[Any] = []
        self.signals: list[str] = []
        self.audit: list[Any] = []
        self.chat_cases: dict[UUID, ChatCaseRequest] = {}
        self.cases: dict[UUID, CaseFacts] = {}
        self.case_messages: list[Message] = []


class _Repo:
    def __init__(self, data: Store) -> None:
        self.d = data


def _copy(thing: Any) -> Any:
    return copy.deepcopy(thing)


class FakeChannels(_Repo):
    async def get(self, channel_id: UUID, *, for_update: bool = False) -> Channel | None:
        return _copy(self.d.channels.get(channel_id))

    async def add(self, channel: Channel) -> None:
        self.d.channels[channel.channel_id] = channel

    save = add

    async def of_organisation(self, organisation_id: str) -> list[Channel]:
        return [_copy(c) for c in self.d.channels.values() if c.organisation_id == organisation_id]

    async def due(self, now: datetime, limit: int) -> list[Channel]:
        due = [
            c
            for c in self.d.channels.values()
            if c.next_transition_at and c.next_transition_at <= now
        ]
        return [_copy(c) for c in due[:limit]]


class FakePresences(_Repo):
    async def get(self, channel_id: UUID, professional_id: str) -> Presence | None:
        return _copy(self.d.presences.get((channel_id, professional_id)))

    async def save(self, presence: Presence) -> None:
        self.d.presences[(presence.channel_id, presence.professional_id)] = presence

    async def of_professional(self, organisation_id: str, professional_id: str) -> list[Presence]:
        return [p for p in self.d.presences.values() if p.professional_id == professional_id]

    async def present_in(self, channel_id: UUID) -> list[Presence]:
        return [p for p in self.d.presences.values() if p.channel_id == channel_id and p.present]


class FakeChats(_Repo):
    async def get(self, chat_id: UUID, *, for_update: bool = False) -> Chat | None:
        return _copy(self.d.chats.get(chat_id))

    async def add(self, chat: Chat) -> None:
        self.d.chats[chat.chat_id] = chat

    save = add

    async def waiting_in(self, channel_ids: Sequence[UUID]) -> list[Chat]:
        return [
            c
            for c in self.d.chats.values()
            if c.channel_id in channel_ids and c.status is ChatStatus.WAITING
        ]

    async def idle_since(self, before: datetime, limit: int) -> list[Chat]:
        idle = [
            c
            for c in self.d.chats.values()
            if c.status is ChatStatus.TAKEN and c.last_activity_at <= before
        ]
        return [_copy(c) for c in idle[:limit]]


class FakeChatMessages(_Repo):
    async def add(self, message: ChatMessage, client_message_id: UUID) -> None:
        self.d.messages.setdefault(message.chat_id, []).append((message, client_message_id))

    async def by_client_id(self, chat_id: UUID, client_message_id: UUID) -> ChatMessage | None:
        return next(
            (m for m, c in self.d.messages.get(chat_id, []) if c == client_message_id), None
        )

    async def after(self, chat_id: UUID, sequence: int, limit: int) -> list[ChatMessage]:
        return [m for m, _ in self.d.messages.get(chat_id, []) if m.sequence > sequence][:limit]


class FakeSignals(_Repo):
    async def chat_changed(self, chat_id: UUID) -> None:
        self.d.signals.append(f"c:{chat_id}")

    async def message_posted(self, chat_id: UUID, sequence: int) -> None:
        self.d.signals.append(f"m:{chat_id}:{sequence}")

    async def new_chat(self, channel_id: UUID, chat_id: UUID) -> None:
        self.d.signals.append(f"n:{channel_id}:{chat_id}")

    async def presence_changed(self, professional_id: str) -> None:
        self.d.signals.append(f"p:{professional_id}")


class FakeOutbox(_Repo):
    def add(self, event: Any, *, occurred_at: datetime | None = None) -> str:
        self.d.outbox.append(event)
        return str(len(self.d.outbox))


class FakeAudit(_Repo):
    async def record(self, records: list[Any]) -> None:
        self.d.audit.extend(records)


class FakeCases(_Repo):
    async def get(self, case_id: UUID, *, for_update: bool = False) -> CaseFacts | None:
        return self.d.cases.get(case_id)


class FakeCaseMessages(_Repo):
    async def add(self, message: Message) -> Message:
        self.d.case_messages.append(message)
        return message

    async def unread(self, case_id: UUID, reader: Side) -> int:
        # No read marks in these tests: every message of the other side is unread.
        return sum(
            1
            for m in self.d.case_messages
            if m.case_id == case_id and m.author_side is reader.other
        )


class FakeChatCases(_Repo):
    async def add(self, request: ChatCaseRequest) -> None:
        self.d.chat_cases.setdefault(request.chat_id, request)

    async def for_case(self, case_id: UUID) -> ChatCaseRequest | None:
        return next((r for r in self.d.chat_cases.values() if r.case_id == case_id), None)

    async def attached(self, chat_id: UUID, at: datetime) -> None:
        self.d.chat_cases[chat_id] = replace(self.d.chat_cases[chat_id], attached_at=at)


class FakeChatUow:
    """Works on a copy of the store; `commit()` makes the copy the store, leaving drops it."""

    def __init__(self, store: Store) -> None:
        self.store = store

    async def __aenter__(self) -> FakeChatUow:
        self.data = _copy(self.store)
        d = self.data
        self.channels, self.presences, self.chats = FakeChannels(d), FakePresences(d), FakeChats(d)
        self.chat_messages, self.signals = FakeChatMessages(d), FakeSignals(d)
        self.outbox, self.audit, self.cases = FakeOutbox(d), FakeAudit(d), FakeCases(d)
        self.messages, self.chat_cases = FakeCaseMessages(d), FakeChatCases(d)
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.store.__dict__.update(self.data.__dict__)
        self.data = _copy(self.store)
