"""A unit of work's writes, sent at its commit as one statement.

Each write a hot path makes on the driver connection is one round trip, and a
transaction adds two more (BEGIN, COMMIT). A form submission wrote its case, its
timeline entry and its outbox row that way: five round trips, each costing the
service's event loop and PostgreSQL a wake-up, parse and reply. Collected here and
sent at the commit as one statement, with each write a data-modifying WITH query,
they cost one. PostgreSQL runs every part of such a statement to completion, in
one snapshot, and checks foreign keys at its end, so a child row may sit beside
the parent it references; outside a transaction the statement is atomic on its own.

Two limits of that form, which the callers keep: no part sees another part's
rows (a write that must read what an earlier one wrote does not belong here), and
no row may be changed by two parts (an ON CONFLICT DO UPDATE refuses to). Each
part is a fixed SQL text with asyncpg's positional parameters ($1, $2, ...),
numbered from 1 within the part; no `$` may appear in it otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from careflow.shared.db.driver import (
    outside_sqlalchemy,
    statement_connection,
    transaction_connection,
)

_PARAMETER = re.compile(r"\$(\d+)")

#: Parts beyond this go one statement each, in a transaction: the composed texts of a
#: pass over many rows (the 72-hour closer's fifty cases) would each be prepared once
#: and seldom used again.
MAX_PARTS = 16
#: And so do parts whose values would pass this: PostgreSQL takes at most 32,767 in one
#: statement. A part's own writer keeps each part below it (the outbox cuts its rows).
MAX_PARAMETERS = 30_000


class WriteBatch:
    """Writes in the order they were added; `take()` hands them over and empties it."""

    def __init__(self) -> None:
        self._parts: list[tuple[str, Sequence[Any]]] = []

    def add(self, sql: str, *args: Any) -> None:
        self._parts.append((sql, args))

    def __len__(self) -> int:
        return len(self._parts)

    def take(self) -> list[tuple[str, Sequence[Any]]]:
        parts, self._parts = self._parts, []
        return parts


async def write(session: AsyncSession, batch: WriteBatch) -> None:
    """Sends the batch's writes: in the session's transaction if one is open, else as one
    statement that commits on its own. Either way all of them or none take effect."""
    parts = batch.take()
    if not parts:
        return
    async with outside_sqlalchemy(session):
        if len(parts) <= MAX_PARTS and sum(len(args) for _, args in parts) <= MAX_PARAMETERS:
            connection = await statement_connection(session)
            sql, args = one_statement(parts)
            await connection.execute(sql, *args)
            return
        connection = await transaction_connection(session)
        for sql, args in parts:
            await connection.execute(sql, *args)


async def write_in_transaction(session: AsyncSession, batch: WriteBatch) -> None:
    """Sends the batch's writes now, in the transaction (begun here if need be), so they
    still commit or roll back with the rest: ahead of a read that may look at their rows
    (a consumed batch's second event on the same case), or an explicit flush."""
    if len(batch):
        await transaction_connection(session)
    await write(session, batch)


def one_statement(parts: Sequence[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    """The parts as one statement with its arguments (a single part stays as it is)."""
    if len(parts) == 1:
        sql, args = parts[0]
        return sql, list(args)
    texts = tuple(sql for sql, _ in parts)
    counts = tuple(len(args) for _, args in parts)
    return _compose(texts, counts), [value for _, args in parts for value in args]


@lru_cache(maxsize=256)
def _compose(texts: tuple[str, ...], counts: tuple[int, ...]) -> str:
    queries = []
    offset = 0
    for number, (sql, count) in enumerate(zip(texts, counts, strict=True)):
        used = {int(n) for n in _PARAMETER.findall(sql)}
        if used != set(range(1, count + 1)):
            raise ValueError(f"part {number} uses parameters {sorted(used)} for {count} values")
        renumbered = _PARAMETER.sub(lambda m, o=offset: f"${int(m.group(1)) + o}", sql)
        queries.append(f"w{number} AS ({renumbered})")
        offset += count
    # The parts run whether or not the final SELECT reads them.
    return "WITH " + ", ".join(queries) + " SELECT 1"
