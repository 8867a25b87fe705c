"""Unit of work: one session, one transaction, the outbox written with it.

It lives in the outbox layer, not in `db`, because it writes the outbox: `db`
(engines, metadata, migrations) stays below and imports nothing above it.
"""

from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careflow.contracts.topics import TopicRegistry
from careflow.shared.outbox.writer import Outbox


class SqlUnitOfWork:
    """`async with uow:` opens a transaction; `commit()` writes outbox rows and commits.

    Leaving the block without `commit()` rolls back — state and events together,
    so an event of a rolled-back transaction is never published.
    """

    session: AsyncSession
    outbox: Outbox

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        source: str,
        topics: TopicRegistry,
        shards: int = 16,
    ) -> None:
        self._sessions = sessions
        self._source = source
        self._topics = topics
        self._shards = shards

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.outbox = Outbox(
            self.session, source=self._source, topics=self._topics, shards=self._shards
        )
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.outbox.flush()
        await self.session.commit()

    async def rollback(self) -> None:
        await self.session.rollback()
