"""The chat half's unit of work: the platform's (outbox in the same tx), repositories, signals."""

from __future__ import annotations

from typing import Self

from careflow.messaging.adapters.chat_repository import (
    SqlChannels,
    SqlChatCaseRequests,
    SqlChatMessages,
    SqlChats,
    SqlPresences,
)
from careflow.messaging.adapters.chat_signals import SqlSignals
from careflow.messaging.adapters.unit_of_work import MessagingUnitOfWork


class ChatUnitOfWork(MessagingUnitOfWork):
    """`async with uow:` gives the chat repositories, and messaging's (audit log, case
    messages), on one transaction."""

    channels: SqlChannels
    presences: SqlPresences
    chats: SqlChats
    chat_messages: SqlChatMessages
    signals: SqlSignals
    chat_cases: SqlChatCaseRequests

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.channels = SqlChannels(self.session)
        self.presences = SqlPresences(self.session)
        self.chats = SqlChats(self.session)
        self.chat_messages = SqlChatMessages(self.session)
        self.signals = SqlSignals(self.session)
        self.chat_cases = SqlChatCaseRequests(self.session)
        return self
