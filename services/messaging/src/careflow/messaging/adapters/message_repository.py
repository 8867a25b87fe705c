"""Every query of case messages: case facts, messages, read states."""

from __future__ import annotations

from dataclasses import asdict
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.messaging.adapters.message_tables import (
    case_messages,
    case_read_states,
    message_cases,
)
from careflow.messaging.domain.messages import CaseFacts, Message, ReadState, Side
from careflow.shared.db.upsert import upsert

_CASE_COLUMNS = tuple(c.name for c in message_cases.c)


class SqlMessageCases:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, case_id: UUID, *, for_update: bool = False) -> CaseFacts | None:
        stmt = select(message_cases).where(message_cases.c.case_id == case_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self.session.execute(stmt)).mappings().first()
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
        m = case_messages.c
        seq = await self.session.scalar(
            insert(case_messages)
            .values(
                id=message.id,
                case_id=message.case_id,
                author_side=message.author_side.value,
                author_id=message.author_id,
                body=message.body,
                sent_at=message.sent_at,
                objects_to_proposal_id=message.objects_to_proposal_id,
            )
            .returning(m.seq)
        )
        return Message(**{**asdict(message), "seq": int(seq or 0)})

    async def page(self, case_id: UUID, *, before_seq: int | None, limit: int) -> list[Message]:
        m = case_messages.c
        stmt = select(case_messages).where(m.case_id == case_id)
        if before_seq is not None:
            stmt = stmt.where(m.seq < before_seq)
        rows = await self.session.execute(stmt.order_by(m.seq.desc()).limit(limit))
        return [_message(r) for r in rows]

    async def sent_since(self, author_id: str, since: datetime, *, limit: int) -> list[datetime]:
        m = case_messages.c
        rows = await self.session.scalars(
            select(m.sent_at)
            .where(m.author_id == author_id, m.sent_at > since)
            .order_by(m.sent_at.desc())
            .limit(limit)
        )
        return sorted(rows)

    async def latest_seq(self, case_id: UUID) -> int:
        m = case_messages.c
        return int(
            await self.session.scalar(select(func.max(m.seq)).where(m.case_id == case_id)) or 0
        )

    async def read_state(self, case_id: UUID, side: Side) -> ReadState:
        r = case_read_states.c
        row = (
            await self.session.execute(
                select(case_read_states).where(r.case_id == case_id, r.side == side.value)
            )
        ).first()
        if row is None:
            return ReadState(case_id, side)
        return ReadState(case_id, side, row.read_seq, row.read_at, row.read_by)

    async def mark_read(self, state: ReadState) -> None:
        r = case_read_states.c
        # Insert the first mark; later ones only move forward (two readers at once).
        await upsert(
            self.session,
            case_read_states,
            [
                {
                    "case_id": state.case_id,
                    "side": state.side.value,
                    "read_seq": state.read_seq,
                    "read_at": state.read_at,
                    "read_by": state.read_by,
                }
            ],
            key=("case_id", "side"),
            update=False,
        )
        await self.session.execute(
            update(case_read_states)
            .where(
                r.case_id == state.case_id,
                r.side == state.side.value,
                r.read_seq < state.read_seq,
            )
            .values(read_seq=state.read_seq, read_at=state.read_at, read_by=state.read_by)
        )

    async def unread(self, case_id: UUID, reader: Side) -> int:
        m, r = case_messages.c, case_read_states.c
        mark = (
            select(r.read_seq).where(r.case_id == case_id, r.side == reader.value).scalar_subquery()
        )
        count = await self.session.scalar(
            select(func.count())
            .select_from(case_messages)
            .where(
                m.case_id == case_id,
                m.author_side == reader.other.value,
                m.seq > func.coalesce(mark, 0),
            )
        )
        return int(count or 0)
