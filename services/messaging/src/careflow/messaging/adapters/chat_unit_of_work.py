"""The chat half's unit of work: the platform's (outbox in the same tx), repositories, signals."""

from __future__ import annotations

from collections.abc import Callable
from typing import Self, cast

from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from careflow.messaging.adapters.chat_repository import (
    SqlChannels,
    SqlChatCaseRequests,
    SqlChatMessages,
    SqlChats,
    SqlPresences,
)
from careflow.messaging.adapters.chat_signals import SqlSignals
from careflow.messaging.adapters.driver import DriverTransaction
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


class ChatPostUnitOfWork:
    """A chat message's unit of work (`post_message`): the chat, the sender's presence, the
    message and the nudge on one driver transaction, without a session; it writes no
    outbox event."""

    def __init__(self, engine: Callable[[], AsyncEngine]) -> None:
        self._engine = engine

    async def __aenter__(self) -> Self:
        self._tx = DriverTransaction(self._engine)
        session = cast(AsyncSession, self._tx)  # the repositories' driver() takes either
        self.chats = SqlChats(session)
        self.presences = SqlPresences(session)
        self.chat_messages = SqlChatMessages(session)
        self.signals = SqlSignals(session)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self._tx.close()

    async def commit(self) -> None:
        await self._tx.commit()
