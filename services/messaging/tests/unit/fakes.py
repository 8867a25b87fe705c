"""An in-memory unit of work for the use cases' unit tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any
from uuid import UUID

from careflow.messaging.domain.messages import CaseFacts, Message, ReadState, Side


class FakeCases:
    def __init__(self) -> None:
        self.rows: dict[UUID, CaseFacts] = {}

    async def get(self, case_id: UUID, *, for_update: bool = False) -> CaseFacts | None:
        return self.rows.get(case_id)

    async def save(self, facts: CaseFacts) -> None:
        self.rows[facts.case_id] = facts


class FakeMessages:
    def __init__(self) -> None:
        self.rows: list[Message] = []
        self.marks: dict[tuple[UUID, Side], ReadState] = {}

    async def add(self, message: Message) -> Message:
        stored = replace(message, seq=len(self.rows) + 1)
        self.rows.append(stored)
        return stored

    async def page(self, case_id: UUID, *, before_seq: int | None, limit: int) -> list[Message]:
        mine = [m for m in reversed(self.rows) if m.case_id == case_id]
        return [m for m in mine if before_seq is None or m.seq < before_seq][:limit]

    async def sent_since(self, author_id: str, since: datetime, *, limit: int) -> list[datetime]:
        times = sorted(
            m.sent_at for m in self.rows if m.author_id == author_id and m.sent_at > since
        )
        return times[-limit:]

    async def latest_seq(self, case_id: UUID) -> int:
        return max((m.seq for m in self.rows if m.case_id == case_id), default=0)

    async def read_state(self, case_id: UUID, side: Side) -> ReadState:
        return self.marks.get((case_id, side), ReadState(case_id, side))

    async def mark_read(self, state: ReadState) -> None:
        current = self.marks.get((state.case_id, state.side))
        if current is None or current.read_seq < state.read_seq:
            self.marks[(state.case_id, state.side)] = state

    async def unread(self, case_id: UUID, reader: Side) -> int:
        mark = (await self.read_state(case_id, reader)).read_seq
        return sum(
            1
            for m in self.rows
            if m.case_id == case_id and m.author_side is reader.other and m.seq > mark
        )


class FakeAudit:
    def __init__(self) -> None:
        self.records: list[Any] = []

    async def record(self, records: list[Any]) -> None:
        self.records.extend(records)

    async def page(self, *args: Any, **kwargs: Any) -> list[Any]:
        return []


class FakeOutbox:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def add(self, event: Any, *, occurred_at: datetime | None = None) -> str:
        self.events.append(event)
        return "id"


class FakeDatabase:
    """What every unit of work of one test shares; a rollback drops what was staged."""

    def __init__(self) -> None:
        self.cases, self.messages, self.audit = FakeCases(), FakeMessages(), FakeAudit()
        self.outbox = FakeOutbox()
        self.commits = 0

    def uow(self) -> FakeUoW:
        return FakeUoW(self)


class FakeUoW:
    def __init__(self, db: FakeDatabase) -> None:
        self.db = db
        self.cases, self.messages, self.audit = db.cases, db.messages, db.audit
        self.outbox = FakeOutbox()
        self._committed = False

    async def __aenter__(self) -> FakeUoW:
        self._rows = list(self.db.messages.rows)
        self._records = list(self.db.audit.records)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if not self._committed:  # rolled back: nothing staged survives
            self.db.messages.rows[:] = self._rows
            self.db.audit.records[:] = self._records

    async def commit(self) -> None:
        self._committed = True
        self.db.commits += 1
        self.db.outbox.events.extend(self.outbox.events)
