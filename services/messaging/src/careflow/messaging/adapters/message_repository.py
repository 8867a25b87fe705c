"""Every query of case messages: case facts, messages, read states."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.messaging.adapters.message_tables import (
    case_messages,
    case_read_states,
    message_cases,
)
from careflow.messaging.domain.messages import CaseFacts, Message, ReadState, Side
from careflow.shared.db.upsert import upsert

_CASE_COLUMNS = tuple(c.name for c in message_cases.c)
_M, _R = case_messages.c, case_read_states.c

# Built once: every message runs these, and building a statement per call (values(),
# where()) costs its cache-key generation each time (workqueue's measurement: a quarter
# of its CPU per event).
_GET_CASE = select(message_cases).where(message_cases.c.case_id == bindparam("case_id"))
_GET_CASE_FOR_UPDATE = _GET_CASE.with_for_update()
_ADD_MESSAGE = (
    insert(case_messages)
    .values(
        id=bindparam("id"),
        case_id=bindparam("case_id"),
        author_side=bindparam("author_side"),
        author_id=bindparam("author_id"),
        body=bindparam("body"),
        sent_at=bindparam("sent_at"),
        objects_to_proposal_id=bindparam("objects_to_proposal_id"),
    )
    .returning(_M.seq)
)
_SENT_SINCE = (
    select(_M.sent_at)
    .where(_M.author_id == bindparam("author_id"), _M.sent_at > bindparam("since"))
    .order_by(_M.sent_at.desc())
    .limit(bindparam("limit"))
)
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
_UNREAD = (
    select(func.count())
    .select_from(case_messages)
    .where(
        _M.case_id == bindparam("case_id"),
        _M.author_side == bindparam("author_side"),
        _M.seq
        > func.coalesce(
            select(_R.read_seq)
            .where(_R.case_id == bindparam("case_id"), _R.side == bindparam("side"))
            .scalar_subquery(),
            0,
        ),
    )
)
# One statement: the first mark inserts, a later one only moves it forward (two readers
# of one side at once never move it back).
_MARK_READ = text(
    "INSERT INTO case_read_states (case_id, side, read_seq, read_at, read_by)"
    " VALUES (:case_id, :side, :read_seq, :read_at, :read_by)"
    " ON CONFLICT (case_id, side) DO UPDATE SET read_seq = excluded.read_seq,"
    " read_at = excluded.read_at, read_by = excluded.read_by"
    " WHERE case_read_states.read_seq < excluded.read_seq"
).bindparams(*(bindparam(c.name, type_=c.type) for c in case_read_states.c))
#: Past every message: the first page starts here.
_END = 2**63 - 1


class SqlMessageCases:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, case_id: UUID, *, for_update: bool = False) -> CaseFacts | None:
        stmt = _GET_CASE_FOR_UPDATE if for_update else _GET_CASE
        row = (await self.session.execute(stmt, {"case_id": case_id})).mappings().first()
        return CaseFacts(**row) if row else None

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
        seq = await self.session.scalar(
            _ADD_MESSAGE,
            {
                "id": message.id,
                "case_id": message.case_id,
                "author_side": message.author_side.value,
                "author_id": message.author_id,
                "body": message.body,
                "sent_at": message.sent_at,
                "objects_to_proposal_id": message.objects_to_proposal_id,
            },
        )
        return replace(message, seq=int(seq or 0))

    async def page(self, case_id: UUID, *, before_seq: int | None, limit: int) -> list[Message]:
        params = {"case_id": case_id, "before_seq": before_seq or _END, "limit": limit}
        return [_message(r) for r in await self.session.execute(_PAGE, params)]

    async def sent_since(self, author_id: str, since: datetime, *, limit: int) -> list[datetime]:
        params = {"author_id": author_id, "since": since, "limit": limit}
        return sorted(await self.session.scalars(_SENT_SINCE, params))

    async def latest_seq(self, case_id: UUID) -> int:
        return int(await self.session.scalar(_LATEST_SEQ, {"case_id": case_id}) or 0)

    async def read_state(self, case_id: UUID, side: Side) -> ReadState:
        params = {"case_id": case_id, "side": side.value}
        row = (await self.session.execute(_READ_STATE, params)).first()
        if row is None:
            return ReadState(case_id, side)
        return ReadState(case_id, side, row.read_seq, row.read_at, row.read_by)

    async def mark_read(self, state: ReadState) -> None:
        await self.session.execute(
            _MARK_READ,
            {
                "case_id": state.case_id,
                "side": state.side.value,
                "read_seq": state.read_seq,
                "read_at": state.read_at,
                "read_by": state.read_by,
            },
        )

    async def unread(self, case_id: UUID, reader: Side) -> int:
        params = {"case_id": case_id, "side": reader.value, "author_side": reader.other.value}
        return int(await self.session.scalar(_UNREAD, params) or 0)
