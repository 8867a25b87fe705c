"""Concurrent units of work's writes, sent together: a group commit.

Under load many requests commit at once, each with a statement that commits on its
own (careflow.shared.db.write_batch): a submission's case, timeline entry and outbox
row. One at a time they cost PostgreSQL a statement and a WAL flush each, and the
service a round trip each. Here a commit that finds another one's statement in
flight queues its writes; the next sender takes every queued unit of work's writes
and sends them as one statement, on its own connection, and tells each its outcome.
At low load nothing waits: a lone commit goes at once, as before.

One statement is all or nothing, so one unit of work's bad row (a constraint it
breaks) would fail the others: a failed group is sent again one unit of work at a
time, and only the offender fails. A lost connection fails them all: each request
answers 503 as it would have alone.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from careflow.shared.db.composed_statement import one_statement
from careflow.shared.db.driver import outside_sqlalchemy, statement_connection
from careflow.shared.db.outage import is_database_outage

Parts = Sequence[tuple[str, Sequence[Any]]]

#: A statement's parameters are capped at 32,767; a group's statement keeps below this.
MAX_PARAMETERS = 20_000
#: And at most this many units of work: each group size is one more statement text
#: that each connection prepares once.
MAX_UNITS = 32


class Interrupted(Exception):
    """The unit of work's writes were in a group whose sender stopped half way: they
    may or may not have been committed."""


@dataclass
class _Queued:
    parts: Parts
    outcome: asyncio.Future[None] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )

    @property
    def parameters(self) -> int:
        return sum(len(args) for _, args in self.parts)


class WriteGroup:
    """The group commit of one engine's units of work (see the module's docstring)."""

    def __init__(self) -> None:
        self._sending = asyncio.Lock()
        self._queued: list[_Queued] = []
        self.statements = 0  # sent, for tests and benchmarks

    async def send(self, session: AsyncSession, parts: Parts) -> None:
        """Commits `parts`, alone or with other units of work's; raises what failed them."""
        mine = _Queued(parts)
        self._queued.append(mine)
        async with self._sending:
            if not mine.outcome.done():
                group, self._queued = self._queued, []
                await self._send_all(session, group)
        mine.outcome.result()

    async def _send_all(self, session: AsyncSession, group: list[_Queued]) -> None:
        try:
            for chunk in _chunks(group):
                await self._send_chunk(session, chunk)
        except BaseException:
            # The sender itself was stopped (cancelled): the others learn it, not hang.
            for queued in group:
                if not queued.outcome.done():
                    queued.outcome.set_exception(Interrupted("the group's sender stopped"))
            raise

    async def _send_chunk(self, session: AsyncSession, chunk: list[_Queued]) -> None:
        try:
            await self._execute(session, [part for queued in chunk for part in queued.parts])
        except Exception as error:
            if len(chunk) == 1 or is_database_outage(error):
                for queued in chunk:
                    queued.outcome.set_exception(error)
                return
            for queued in chunk:  # only the unit of work that broke a rule fails
                try:
                    await self._execute(session, queued.parts)
                except Exception as alone:
                    queued.outcome.set_exception(alone)
                else:
                    queued.outcome.set_result(None)
            return
        for queued in chunk:
            queued.outcome.set_result(None)

    async def _execute(self, session: AsyncSession, parts: Parts) -> None:
        async with outside_sqlalchemy(session):
            connection = await statement_connection(session)
            sql, args = one_statement(parts)
            self.statements += 1
            await connection.execute(sql, *args)


def _chunks(group: list[_Queued]) -> list[list[_Queued]]:
    chunks: list[list[_Queued]] = [[]]
    parameters = 0
    for queued in group:
        current = chunks[-1]
        if current and (
            len(current) >= MAX_UNITS or parameters + queued.parameters > MAX_PARAMETERS
        ):
            chunks.append(current := [])
            parameters = 0
        current.append(queued)
        parameters += queued.parameters
    return chunks


_GROUPS: weakref.WeakKeyDictionary[Any, WriteGroup] = weakref.WeakKeyDictionary()


def group_of(session: AsyncSession) -> WriteGroup:
    """The group of the session's engine (one per engine, so per database and process)."""
    engine = session.get_bind()
    group = _GROUPS.get(engine)
    if group is None:
        group = _GROUPS[engine] = WriteGroup()
    return group
