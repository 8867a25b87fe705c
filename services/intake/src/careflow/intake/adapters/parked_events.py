"""Every query on parked events: work-queue events waiting for a case intake does not know."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, exists, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.intake.adapters.tables import cases, parked_events
from careflow.intake.domain.parking import ParkedEvent
from careflow.shared.db.write_batch import WriteBatch, write_in_transaction
from careflow.shared.outbox.tables import inbox

_P = parked_events.c
_FIELDS = [f.name for f in fields(ParkedEvent) if f.name != "id"]


def _from_row(row: Any) -> ParkedEvent:
    return ParkedEvent(id=row.id, **{name: getattr(row, name) for name in _FIELDS})


class ParkedEventRepository:
    def __init__(self, session: AsyncSession, writes: WriteBatch) -> None:
        self.session = session
        self.writes = writes  # the cases the unit of work saved: sent before a look at cases

    async def add(self, event: ParkedEvent) -> None:
        await self.session.execute(
            insert(parked_events).values({name: getattr(event, name) for name in _FIELDS})
        )

    async def take_for_case(self, case_id: UUID) -> list[ParkedEvent]:
        """Removes and returns the case's parked events, oldest first (caller commits)."""
        rows = (
            await self.session.execute(
                select(parked_events).where(_P.case_id == case_id).order_by(_P.id).with_for_update()
            )
        ).all()
        if rows:
            await self.remove([row.id for row in rows])
        return [_from_row(row) for row in rows]

    async def cases_now_known(self, limit: int) -> list[UUID]:
        """Cases that arrived after (or while) events about them were parked."""
        await write_in_transaction(self.session, self.writes)
        known = exists().where(cases.c.id == _P.case_id)
        rows = await self.session.execute(
            select(_P.case_id).where(known).group_by(_P.case_id).limit(limit)
        )
        return list(rows.scalars())

    async def expired(self, cutoff: datetime, limit: int) -> list[ParkedEvent]:
        """Locks events parked at or before `cutoff` whose case is still unknown; rows
        another replica's sweeper holds are skipped."""
        await write_in_transaction(self.session, self.writes)
        known = exists().where(cases.c.id == _P.case_id)
        rows = await self.session.execute(
            select(parked_events)
            .where(_P.parked_at <= cutoff, ~known)
            .order_by(_P.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_from_row(row) for row in rows]

    async def remove(self, ids: Sequence[int]) -> None:
        await self.session.execute(delete(parked_events).where(_P.id.in_(list(ids))))

    async def forget_processed(self, events: Sequence[ParkedEvent]) -> None:
        """Drops the events' inbox rows, so that replaying their dead letters applies them
        again instead of being discarded as duplicates."""
        for event in events:
            await self.session.execute(
                delete(inbox).where(
                    inbox.c.consumer == event.consumer, inbox.c.event_id == event.event_id
                )
            )
