"""A unit of work's writes, sent at its commit as one statement.

Each write a hot path makes on the driver connection is one round trip, and a
transaction adds two more (BEGIN, COMMIT). A form submission wrote its case, its
timeline entry and its outbox row that way: five round trips, each costing the
service's event loop and PostgreSQL a wake-up, parse and reply. Collected here and
sent at the commit as one statement, with each write a data-modifying WITH query,
they cost one. PostgreSQL runs every part of such a statement to completion, in
one snapshot, and checks foreign keys at its end, so a child row may sit beside
the parent it references; outside a transaction the statement is atomic on its own.

Three limits of that form, which the callers keep: no part sees another part's
rows (a write that must read what an earlier one wrote does not belong here), no
row may be changed by two parts (an ON CONFLICT DO UPDATE refuses to), and no part
of a batch with expectations divides (a division by zero is how a failed
expectation fails the statement). Each part is a fixed SQL text with asyncpg's
positional parameters ($1, $2, ...), numbered from 1 within the part; no `$` may
appear in it otherwise.

A batch may also carry expectations: conditions on rows it does not write (a form's
resident still has the number the form brings), checked in the same statement. When
one does not hold nothing is written and `write` raises `ExpectationFailed`; the
caller then takes its slower path (a read under a lock, decided again). The check is
the one a plain read before the writes would make, with one round trip fewer and no
gap between reading and writing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.shared.db.driver import (
    connection_for_statement,
    outside_sqlalchemy,
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


class ExpectationFailed(Exception):
    """An expectation of the batch did not hold: nothing of it was written."""


class WriteBatch:
    """Writes in the order they were added; `take()` hands them over and empties it."""

    def __init__(self) -> None:
        self._parts: list[tuple[str, Sequence[Any]]] = []
        self._expected: list[tuple[str, Sequence[Any]]] = []

    def add(self, sql: str, *args: Any) -> None:
        self._parts.append((sql, args))

    def expect(self, condition: str, *args: Any) -> None:
        """The writes take effect only if `condition` (a boolean SQL expression, with
        parameters numbered as a part's are) is true when they are sent."""
        self._expected.append((condition, args))

    def __len__(self) -> int:
        return len(self._parts)

    def take(self) -> list[tuple[str, Sequence[Any]]]:
        parts, self._parts = self._parts, []
        return parts

    def take_expected(self) -> list[tuple[str, Sequence[Any]]]:
        expected, self._expected = self._expected, []
        return expected


async def write(session: AsyncSession, batch: WriteBatch) -> None:
    """Sends the batch's writes: in the session's transaction if one is open, else as one
    statement that commits on its own. Either way all of them or none take effect, and
    none if an expectation does not hold (`ExpectationFailed`; inside a transaction the
    caller rolls it back)."""
    expected = batch.take_expected()
    parts = batch.take()
    if not parts:
        if expected:
            raise ValueError("expectations without writes")
        return
    if len(parts) <= MAX_PARTS and sum(len(args) for _, args in parts) <= MAX_PARAMETERS:
        sql, args = one_statement(parts, expected)
        try:
            async with connection_for_statement(session) as connection:
                await connection.execute(sql, *args)
        except asyncpg.DivisionByZeroError:
            if expected:  # the parts divide nothing: the check refused (_compose)
                raise ExpectationFailed from None
            raise
        return
    async with outside_sqlalchemy(session):
        connection = await transaction_connection(session)
        if expected:
            condition, args = _conjunction(expected)
            if not await connection.fetchval(f"SELECT coalesce(({condition}), false)", *args):
                raise ExpectationFailed
        for sql, args in parts:
            await connection.execute(sql, *args)


async def write_in_transaction(session: AsyncSession, batch: WriteBatch) -> None:
    """Sends the batch's writes now, in the transaction (begun here if need be), so they
    still commit or roll back with the rest: ahead of a read that may look at their rows
    (a consumed batch's second event on the same case), or an explicit flush."""
    if len(batch):
        await transaction_connection(session)
    await write(session, batch)


def one_statement(
    parts: Sequence[tuple[str, Sequence[Any]]],
    expected: Sequence[tuple[str, Sequence[Any]]] = (),
) -> tuple[str, list[Any]]:
    """The parts as one statement with its arguments (a single part stays as it is)."""
    if len(parts) == 1 and not expected:
        sql, args = parts[0]
        return sql, list(args)
    texts = tuple(sql for sql, _ in parts)
    counts = tuple(len(args) for _, args in parts)
    values = [value for _, args in parts for value in args]
    if not expected:
        return _compose(texts, counts), values
    condition, args = _conjunction(expected)
    return _compose(texts, counts, (condition, len(args))), [*values, *args]


def _conjunction(expected: Sequence[tuple[str, Sequence[Any]]]) -> tuple[str, list[Any]]:
    """The expectations as one condition, their parameters renumbered in order."""
    conditions = []
    values: list[Any] = []
    for condition, args in expected:
        offset = len(values)
        conditions.append("(" + _renumbered(condition, offset) + ")")
        values += args
    return " AND ".join(conditions), values


def _renumbered(sql: str, offset: int) -> str:
    """`sql` with its parameters $1, $2, ... moved up by `offset`."""
    return _PARAMETER.sub(lambda m: f"${int(m.group(1)) + offset}", sql)


@lru_cache(maxsize=256)
def _compose(
    texts: tuple[str, ...], counts: tuple[int, ...], check: tuple[str, int] | None = None
) -> str:
    queries = []
    offset = 0
    for number, (sql, count) in enumerate(zip(texts, counts, strict=True)):
        used = {int(n) for n in _PARAMETER.findall(sql)}
        if used != set(range(1, count + 1)):
            raise ValueError(f"part {number} uses parameters {sorted(used)} for {count} values")
        renumbered = _renumbered(sql, offset)
        queries.append(f"w{number} AS ({renumbered})")
        offset += count
    if check is None:
        # The parts run whether or not the final SELECT reads them.
        return "WITH " + ", ".join(queries) + " SELECT 1"
    condition, count = check
    if {int(n) for n in _PARAMETER.findall(condition)} != set(range(1, count + 1)):
        raise ValueError(f"the expectations use other parameters than their {count} values")
    renumbered = _renumbered(condition, offset)
    # Plain SQL has no RAISE: a false (or unknown) condition divides by zero, which fails
    # the statement and so every part of it. Not `1/0`: the planner folds constants, and
    # would fail every statement at planning, whatever the condition.
    check_query = f"expected AS (SELECT 1 / coalesce(({renumbered})::int, 0) AS met)"
    return f"WITH {', '.join([*queries, check_query])} SELECT met FROM expected"  # noqa: S608 (the repositories' fixed texts)
