"""Every query of case messages: case facts, messages, read states.

A message's statements (the case, the sender's recent sends, the insert, the read mark,
the unread count) run on the driver connection (`adapters/driver.py`).
"""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.messaging.adapters.driver import driver
from careflow.messaging.adapters.message_tables import (
    case_messages,
    case_read_states,
    message_cases,
)
from careflow.messaging.domain.messages import CaseFacts, Message, ReadState, Side
from careflow.shared.db.upsert import upsert

_CASE_COLUMNS = tuple(c.name for c in message_cases.c)
_M, _R = case_messages.c, case_read_states.c

# Built once (building a statement per call costs its cache-key generation each time):
# the read paths' statements, through SQLAlchemy.
_PAGE = (
    select(case_messages)
    .where(_M.case_id == bindparam("case_id"), _M.seq < bindparam("before_seq"))
    .order_by(_M.seq.desc())
    .limit(bindparam("limit"))
)
_LATEST_SEQ = select(func.max(_M.seq)).where(_M.case_id == bindparam("case_id"))
_READ_STATE = select(case_read_states).where(
    _R.case_id == bindparam("case_id"), _R.side == bindparam("side")
)
#: Past every message: the first page starts here.
_END = 2**63 - 1

# A message's statements, on the driver connection (fixed names only).
_SELECT_CASE = f"SELECT {', '.join(_CASE_COLUMNS)} FROM message_cases WHERE case_id = $1"  # noqa: S608
_SELECT_CASE_FOR_UPDATE = _SELECT_CASE + " FOR UPDATE"
_INSERT_MESSAGE = (
    "INSERT INTO case_messages"
    " (id, case_id, author_side, author_id, body, sent_at, objects_to_proposal_id)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING seq"
)
# The send limit's look-up (index ix_case_messages_author_sent).
_SELECT_SENT_SINCE = (
    "SELECT sent_at FROM case_messages WHERE author_id = $1 AND sent_at > $2"
    " ORDER BY sent_at DESC LIMIT $3"
)
# One statement: the first mark inserts, a later one only moves it forward (two readers
# of one side at once never move it back).
_UPSERT_READ_STATE = (
    "INSERT INTO case_read_states (case_id, side, read_seq, read_at, read_by)"
    " VALUES ($1, $2, $3, $4, $5)"
    " ON CONFLICT (case_id, side) DO UPDATE SET read_seq = excluded.read_seq,"
    " read_at = excluded.read_at, read_by = excluded.read_by"
    " WHERE case_read_states.read_seq < excluded.read_seq"
)
# The other side's messages after the reader side's mark: $2 the reader's side, $3 the
# other side.
_COUNT_UNREAD = (
    "SELECT count(*) FROM case_messages WHERE case_id = $1 AND author_side = $3 AND seq >"
    " coalesce((SELECT read_seq FROM case_read_states WHERE case_id = $1 AND side = $2), 0)"
)


class SqlMessageCases:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, case_id: UUID, *, for_update: bool = False) -> CaseFacts | None:
        # Most use cases' first statement: it begins the transaction on the driver.
        connection = await driver(self.session)
        query = _SELECT_CASE_FOR_UPDATE if for_update else _SELECT_CASE
        record = await connection.fetchrow(query, case_id)
        return None if record is None else CaseFacts(**dict(record.items()))

    async def save(self, facts: CaseFacts) -> None:
        row = asdict(facts)
        await upsert(
            self.session, message_cases, [{k: row[k] for k in _CASE_COLUMNS}], key=("case_id",)
        )


def _message(row: Any) -> Message:
    return Message(
        id=row.id,
        case_id=row.case_id,
        author_side=Side(row.author_side),
        author_id=row.author_id,
        body=row.body,
        sent_at=row.sent_at,
        objects_to_proposal_id=row.objects_to_proposal_id,
        seq=row.seq,
    )


class SqlCaseMessages:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, message: Message) -> Message:
        connection = await driver(self.session)
        seq = await connection.fetchval(
            _INSERT_MESSAGE,
            message.id,
            message.case_id,
            message.author_side.value,
            message.author_id,
            message.body,
            message.sent_at,
            message.objects_to_proposal_id,
        )
        return replace(message, seq=int(seq))

    async def page(self, case_id: UUID, *, before_seq: int | None, limit: int) -> list[Message]:
        params = {"case_id": case_id, "before_seq": before_seq or _END, "limit": limit}
        return [_message(r) for r in await self.session.execute(_PAGE, params)]

    async def sent_since(self, author_id: str, since: datetime, *, limit: int) -> list[datetime]:
        connection = await driver(self.session)
        return sorted(
            r[0] for r in await connection.fetch(_SELECT_SENT_SINCE, author_id, since, limit)
        )

    async def latest_seq(self, case_id: UUID) -> int:
        return int(await self.session.scalar(_LATEST_SEQ, {"case_id": case_id}) or 0)

    async def read_state(self, case_id: UUID, side: Side) -> ReadState:
        params = {"case_id": case_id, "side": side.value}
        row = (await self.session.execute(_READ_STATE, params)).first()
        if row is None:
            return ReadState(case_id, side)
        return ReadState(case_id, side, row.read_seq, row.read_at, row.read_by)

    async def mark_read(self, state: ReadState) -> None:
        connection = await driver(self.session)
        await connection.execute(
            _UPSERT_READ_STATE,
            state.case_id,
            state.side.value,
            state.read_seq,
            state.read_at,
            state.read_by,
        )

    async def unread(self, case_id: UUID, reader: Side) -> int:
        connection = await driver(self.session)
        count = await connection.fetchval(_COUNT_UNREAD, case_id, reader.value, reader.other.value)
        return int(count or 0)
