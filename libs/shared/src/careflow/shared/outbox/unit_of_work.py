"""Unit of work: one session, one transaction, the outbox written with it.

It lives in the outbox layer, not in `db`, because it writes the outbox: `db`
(engines, metadata, migrations) stays below and imports nothing above it.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from careflow.contracts.topics import TopicRegistry
from careflow.shared.db.write_batch import WriteBatch, write
from careflow.shared.outbox.writer import Outbox


class SqlUnitOfWork:
    """`async with uow:` opens a transaction; `commit()` writes outbox rows and commits.

    Leaving the block without `commit()` rolls back — state and events together,
    so an event of a rolled-back transaction is never published.

    A repository may leave its writes in `writes` instead of sending them: they go at
    the commit, with the outbox rows, as one statement (careflow.shared.db.write_batch).
    A use case that only reads plainly and then writes that way costs no BEGIN and no
    COMMIT round trip: its reads run outside a transaction and the one statement
    commits on its own.

    `events_committed` is called after a commit that wrote events: the process's relay
    wakes on it (careflow.shared.outbox.relay). It has no default: a unit of work built
    without it would leave its events to the relay's 2 s poll (the runtime's
    `unit_of_work` passes it; None only where no relay runs).
    """

    session: AsyncSession
    outbox: Outbox
    writes: WriteBatch

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        *,
        source: str,
        topics: TopicRegistry,
        events_committed: Callable[[], None] | None,
        shards: int = 16,
    ) -> None:
        self._sessions = sessions
        self._source = source
        self._topics = topics
        self._shards = shards
        self._events_committed = events_committed

    async def __aenter__(self) -> Self:
        self.session = self._sessions()
        self.writes = WriteBatch()
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
        if _untouched(self.session):
            return
        try:
            await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        self.outbox.move_to(self.writes)
        await write(self.session, self.writes)
        if not _untouched(self.session):
            await self.session.commit()
        written, self.outbox.written = self.outbox.written, 0
        if written and self._events_committed is not None:
            self._events_committed()

    async def rollback(self) -> None:
        self.writes.take()
        self.outbox.written = 0
        await self.session.rollback()


def _untouched(session: AsyncSession) -> bool:
    """Nothing to commit, roll back or close: no transaction was begun on the session and
    it holds no objects. A use case whose reads and writes took pooled connections of
    their own (careflow.shared.db.driver.connection_for_statement) leaves it so, and
    skips SQLAlchemy's commit and close, each a greenlet round of bookkeeping."""
    return not session.in_transaction() and not session.identity_map and not session.new
