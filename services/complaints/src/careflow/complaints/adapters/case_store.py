"""Cases, their replies, the place's groups and the deliveries to clinics' own systems."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import func, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.complaints.adapters.tables import cases, deliveries, group_members, groups, replies
from careflow.complaints.domain.cases import (
    AnswerChannel,
    Case,
    HandledIn,
    Kind,
    PlaceKind,
    Reply,
    Status,
)
from careflow.complaints.domain.delivery import CaseQuery, DeliveryJob
from careflow.shared.db.driver import driver_connection
from careflow.shared.db.upsert import upsert

PENDING, DELIVERED = "pending", "delivered"


def _row(case: Case) -> dict[str, Any]:
    return {
        "case_id": case.case_id,
        "kind": case.kind.value,
        "region_code": case.region_code,
        "place_hsa_id": case.place_hsa_id,
        "place_kind": case.place_kind.value,
        "handled_in": case.handled_in.value,
        "status": case.status.value,
        "anonymous": case.anonymous,
        "resident_id": case.resident_id,
        "answer_channel": case.answer_channel.value if case.answer_channel else None,
        "submitted_at": case.submitted_at,
        "due_at": case.due_at,
        "answered_at": case.answered_at,
        "where_text": case.where,
        "description": case.description,
        "unknown_clinic": case.unknown_clinic,
        "group_id": case.group_id,
        "handler_id": case.handler_id,
        "external_status": case.external_status,
    }


def _case(row: Any) -> Case:
    return Case(
        case_id=row.case_id,
        kind=Kind(row.kind),
        region_code=row.region_code,
        place_hsa_id=row.place_hsa_id,
        place_kind=PlaceKind(row.place_kind),
        handled_in=HandledIn(row.handled_in),
        status=Status(row.status),
        anonymous=row.anonymous,
        resident_id=row.resident_id,
        answer_channel=AnswerChannel(row.answer_channel) if row.answer_channel else None,
        submitted_at=row.submitted_at,
        due_at=row.due_at,
        answered_at=row.answered_at,
        where=row.where_text,
        description=row.description,
        unknown_clinic=row.unknown_clinic,
        group_id=row.group_id,
        handler_id=row.handler_id,
        external_status=row.external_status,
    )


# Built once: the submission path runs it for every case.
_INSERT = insert(cases)
_COLUMNS = tuple(c.name for c in cases.columns)
# The same on the driver connection (careflow.shared.db.driver): prepared once per
# connection, the values bound natively.
_INSERT_DRIVER = (
    f"INSERT INTO cases ({', '.join(_COLUMNS)}) "  # noqa: S608 (the table's own column names)
    f"VALUES ({', '.join(f'${n}' for n in range(1, len(_COLUMNS) + 1))})"
)


class SqlCases:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, case: Case) -> None:
        row = _row(case)
        if (driver := await driver_connection(self._session)) is not None:
            await driver.execute(_INSERT_DRIVER, *(row[c] for c in _COLUMNS))
        else:
            await self._session.execute(_INSERT, row)

    async def get(self, case_id: UUID, *, for_update: bool = False) -> Case | None:
        stmt = select(cases).where(cases.c.case_id == case_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).first()
        return None if row is None else _case(row)

    async def update(self, case: Case) -> None:
        values = _row(case)
        del values["case_id"]
        await self._session.execute(
            update(cases).where(cases.c.case_id == case.case_id).values(**values)
        )

    async def list(self, query: CaseQuery) -> list[Case]:
        c = cases.c
        stmt = select(cases).where(
            c.region_code == query.region_code,
            c.place_hsa_id == query.place_hsa_id,
            # Cases handled in the clinic's own system are not handled here.
            c.handled_in == HandledIn.STAFF_VIEW.value,
        )
        if query.handler_id is not None:
            given = [c.handler_id == query.handler_id]
            if query.groups:
                given.append(c.group_id.in_(list(query.groups)))
            stmt = stmt.where(or_(*given))
        if query.overdue_at is not None:
            stmt = stmt.where(c.status != Status.ANSWERED.value, c.due_at <= query.overdue_at)
        if query.status is not None:
            stmt = stmt.where(c.status == query.status)
        rows = await self._session.execute(stmt.order_by(c.due_at, c.case_id).limit(query.limit))
        return [_case(r) for r in rows]

    async def of_resident(self, resident_id: UUID, limit: int) -> list[Case]:
        c = cases.c
        stmt = (
            select(cases)
            .where(c.resident_id == resident_id)
            .order_by(c.submitted_at.desc())
            .limit(limit)
        )
        return [_case(r) for r in await self._session.execute(stmt)]

    async def add_reply(self, case_id: UUID, reply: Reply) -> None:
        await self._session.execute(
            insert(replies).values(
                case_id=case_id,
                author=reply.author,
                final=reply.final,
                text=reply.text,
                at=reply.at,
            )
        )

    async def replies(self, case_id: UUID) -> list[Reply]:
        r = replies.c
        rows = await self._session.execute(
            select(r.author, r.final, r.text, r.at).where(r.case_id == case_id).order_by(r.id)
        )
        return [Reply(row.author, row.final, row.text, row.at) for row in rows]

    async def count_overdue(self, now: datetime) -> int:
        c = cases.c
        stmt = select(func.count()).where(c.status != Status.ANSWERED.value, c.due_at <= now)
        return int((await self._session.execute(stmt)).scalar_one())


class SqlGroups:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, group_id: UUID, place_hsa_id: str, name: str, members: Collection[str], at: datetime
    ) -> None:
        await self._session.execute(
            insert(groups).values(
                group_id=group_id, place_hsa_id=place_hsa_id, name=name, created_at=at
            )
        )
        if members:
            await self._session.execute(
                insert(group_members), [{"group_id": group_id, "member_id": m} for m in members]
            )

    async def of_place(self, place_hsa_id: str) -> list[tuple[UUID, str, list[str]]]:
        g, m = groups.c, group_members.c
        rows = await self._session.execute(
            select(g.group_id, g.name, m.member_id)
            .outerjoin(group_members, m.group_id == g.group_id)
            .where(g.place_hsa_id == place_hsa_id)
            .order_by(g.name, g.group_id, m.member_id)
        )
        found: dict[UUID, tuple[UUID, str, list[str]]] = {}
        for row in rows:
            entry = found.setdefault(row.group_id, (row.group_id, row.name, []))
            if row.member_id is not None:
                entry[2].append(row.member_id)
        return list(found.values())

    async def exists(self, group_id: UUID, place_hsa_id: str) -> bool:
        g = groups.c
        stmt = select(g.group_id).where(g.group_id == group_id, g.place_hsa_id == place_hsa_id)
        return (await self._session.execute(stmt)).first() is not None

    async def of_member(self, subject: str, place_hsa_id: str) -> set[UUID]:
        g, m = groups.c, group_members.c
        rows = await self._session.execute(
            select(g.group_id)
            .join(group_members, m.group_id == g.group_id)
            .where(m.member_id == subject, g.place_hsa_id == place_hsa_id)
        )
        return set(rows.scalars())


class SqlDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def schedule(self, case_id: UUID, url: str, at: datetime) -> None:
        """Once per case: a case is routed to an own system at most once."""
        row = {
            "case_id": case_id,
            "url": url,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": at,
        }
        await upsert(self._session, deliveries, [row], ("case_id",), update=False)

    async def claim_due(self, now: datetime, limit: int) -> list[DeliveryJob]:
        d = deliveries.c
        stmt = (
            select(d.case_id, d.url, d.attempts)
            .where(d.status == PENDING, d.next_attempt_at <= now)
            .order_by(d.next_attempt_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [
            DeliveryJob(r.case_id, r.url, r.attempts) for r in await self._session.execute(stmt)
        ]

    async def delivered(self, case_id: UUID, attempts: int, at: datetime) -> None:
        await self._session.execute(
            update(deliveries)
            .where(deliveries.c.case_id == case_id)
            .values(status=DELIVERED, attempts=attempts, delivered_at=at, last_error=None)
        )

    async def retry(self, case_id: UUID, attempts: int, at: datetime, error: str) -> None:
        await self._session.execute(
            update(deliveries)
            .where(deliveries.c.case_id == case_id)
            .values(attempts=attempts, next_attempt_at=at, last_error=error[:80])
        )
