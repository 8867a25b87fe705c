"""Every query intake makes: cases with their sections, residents, timeline, audit."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import Table, func, select
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.intake.adapters import tables as t
from careflow.intake.domain.bookings import Booking
from careflow.intake.domain.case import Case
from careflow.intake.domain.events import DomainEvent
from careflow.intake.domain.residents import Resident
from careflow.intake.domain.sections import Closing, ClosingProposal, Coaching, Goal, Task
from careflow.shared.audit import AuditQuery, AuditRecordOut
from careflow.shared.audit.sql import keyset_page, organisation_records
from careflow.shared.db.driver import (
    connection_for_statement,
    json_param,
    transaction_connection,
    value_rows,
)
from careflow.shared.db.upsert import upsert, upsert_driver_sql
from careflow.shared.db.write_batch import WriteBatch, write_in_transaction

#: The name audit records carry, so merged pages tell the services apart.
SERVICE = "intake"

_CASE_FIELDS = [
    "id",
    "resident_id",
    "organisation_id",
    "unit_id",
    "group_id",
    "kind",
    "form_id",
    "origin",
    "identification",
    "proxy_contact",
    "submitted_by",
    "created_by",
    "language",
    "urgency",
    "urgency_rules",
    "phone_contact_allowed",
    "private",
    "results",
    "created_at",
    "taken_by",
    "taken_at",
    "summary",
]
_SECTIONS: tuple[tuple[str, Table, type], ...] = (
    ("proposals", t.closing_proposals, ClosingProposal),
    ("goals", t.goals, Goal),
    ("tasks", t.tasks, Task),
    ("coachings", t.coachings, Coaching),
)
_RESIDENT_FIELDS = [
    "id",
    "communication_language",
    "name",
    "email",
    "phone",
    "email_notifications",
    "sms_notifications",
    "phone_contact_allowed",
    "service_consents",
    "updated_at",
]


_JSON_CASE_COLUMNS = frozenset(c.name for c in t.cases.c if isinstance(c.type, JSONB))


@functools.cache
def _insert_case_events(count: int) -> str:
    rows = value_rows(count, 4)
    return f"INSERT INTO case_events (case_id, kind, actor, at) VALUES {rows}"  # noqa: S608


class CaseRepository:
    def __init__(self, session: AsyncSession, writes: WriteBatch) -> None:
        self.session = session
        self.writes = writes

    async def get(self, case_id: UUID, *, lock: bool = False) -> Case | None:
        """The case with its sections; `lock` holds the row until the transaction ends."""
        await write_in_transaction(self.session, self.writes)
        query = select(t.cases).where(t.cases.c.id == case_id)
        if lock:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else await self._load(row)

    async def _load(self, row: Any) -> Case:
        case = Case(**{name: row[name] for name in _CASE_FIELDS})
        if row["closed_at"] is not None:
            case.closing = Closing(
                row["closing_reason"],
                row["closed_by"],
                row["closing_professional_id"],
                row["closing_proposal_id"],
                row["closed_at"],
                row["closing_statement"],
            )
        for attribute, table, cls in _SECTIONS:
            rows = await self.session.execute(
                select(table).where(table.c.case_id == case.id).order_by(table.c.id)
            )
            items = [cls(**{k: v for k, v in r.items() if k != "case_id"}) for r in rows.mappings()]
            key = {"proposals": "proposed_at", "goals": "set_at", "tasks": "assigned_at"}.get(
                attribute, "attached_at"
            )
            setattr(case, attribute, sorted(items, key=lambda item: getattr(item, key)))
        return case

    async def save(self, case: Case, events: Sequence[DomainEvent]) -> None:
        """Writes the case, its sections and the timeline entries of `events` at the
        commit, in its one statement (careflow.shared.db.write_batch)."""
        row = {name: getattr(case, name) for name in _CASE_FIELDS}
        closing = case.closing
        row |= {
            "closing_reason": closing.reason if closing else None,
            "closed_by": closing.closed_by if closing else None,
            "closing_professional_id": closing.professional_id if closing else None,
            "closing_proposal_id": closing.proposal_id if closing else None,
            "closed_at": closing.closed_at if closing else None,
            "closing_statement": closing.statement if closing else None,
            "closes_at": case.closes_at,
        }
        columns = tuple(row)
        values = [json_param(row[c]) if c in _JSON_CASE_COLUMNS else row[c] for c in columns]
        self.writes.add(upsert_driver_sql(t.cases, columns), *values)
        for attribute, table, _cls in _SECTIONS:
            for item in getattr(case, attribute):
                section = vars(item) | {"case_id": case.id}
                names = tuple(section)
                self.writes.add(upsert_driver_sql(table, names), *(section[n] for n in names))
        if events:
            self.writes.add(
                _insert_case_events(len(events)),
                *(v for e in events for v in (case.id, type(e).__name__, e.actor, e.at)),
            )

    async def latest_events(self, case_id: UUID, limit: int = 3) -> list[dict[str, Any]]:
        await write_in_transaction(self.session, self.writes)
        rows = await self.session.execute(
            select(t.case_events.c.kind, t.case_events.c.actor, t.case_events.c.at)
            .where(t.case_events.c.case_id == case_id)
            .order_by(t.case_events.c.id.desc())
            .limit(limit)
        )
        return [dict(r) for r in rows.mappings()]

    async def open_cases_of(
        self, resident_id: UUID, organisation_id: str, *, besides: UUID, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The `limit` newest other open, shared cases of the resident in the organisation,
        and how many there are in all."""
        await write_in_transaction(self.session, self.writes)
        c = t.cases.c
        rows = await self.session.execute(
            # The window count is taken before LIMIT: all matching cases, in one query.
            select(c.id, c.kind, c.created_at, c.taken_by, func.count().over().label("total"))
            .where(
                c.resident_id == resident_id,
                c.organisation_id == organisation_id,
                c.id != besides,
                c.closed_at.is_(None),
                c.private.is_(False),
            )
            .order_by(c.created_at.desc(), c.id)
            .limit(limit)
        )
        return _counted(rows.mappings())

    async def of_residents(
        self, resident_ids: Sequence[UUID], *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the residents' identified cases, newest first, and how many in all."""
        await write_in_transaction(self.session, self.writes)
        c = t.cases.c
        mine = (c.resident_id.in_(list(resident_ids)), c.identification == "identified")
        rows = await self.session.execute(
            # urgency (P0: "call 112") and closing_reason (without consent: no answers)
            # are what the resident's list must show without opening each case.
            select(
                c.id,
                c.resident_id,
                c.kind,
                c.language,
                c.urgency,
                c.created_at,
                c.closed_at,
                c.closing_reason,
                c.private,
            )
            .where(*mine)
            # The id breaks ties: a page boundary between equal times neither repeats nor skips.
            .order_by(c.created_at.desc(), c.id)
            .limit(limit)
            .offset(offset)
        )
        total = await self.session.scalar(select(func.count()).select_from(t.cases).where(*mine))
        return [dict(r) for r in rows.mappings()], int(total or 0)

    async def due_for_closing(self, now: datetime, limit: int) -> list[UUID]:
        """Locks cases whose objection window has passed; rows other closers hold are skipped."""
        await write_in_transaction(self.session, self.writes)
        rows = await self.session.execute(
            select(t.cases.c.id)
            .where(t.cases.c.closes_at <= now, t.cases.c.closed_at.is_(None))
            .order_by(t.cases.c.closes_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return list(rows.scalars())


class BookingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, booking_id: str) -> Booking | None:
        query = select(t.bookings).where(t.bookings.c.id == booking_id).with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else Booking(**row)

    async def save(self, booking: Booking) -> None:
        await upsert(self.session, t.bookings, [vars(booking)])

    async def of_case(
        self, case_id: UUID, organisation_id: str, *, limit: int
    ) -> tuple[list[dict[str, Any]], int]:
        """The case's `limit` latest-starting bookings in start order (unknown starts
        last), and how many there are in all."""
        b = t.bookings.c
        latest = (
            select(t.bookings, func.count().over().label("total"))
            .where(b.case_id == case_id, b.organisation_id == organisation_id)
            .order_by(b.starts_at.desc().nulls_last(), b.id.desc())
            .limit(limit)
            .subquery()
        )
        shown = latest.c
        rows = await self.session.execute(
            select(latest).order_by(shown.starts_at.asc().nulls_last(), shown.id)
        )
        return _counted(rows.mappings())


# On the driver connection (careflow.shared.db.driver): every identified submission with
# a phone number reads its resident, and locks it where the number changes.
_SELECT_RESIDENT = f"SELECT {', '.join(_RESIDENT_FIELDS)} FROM residents WHERE id = $1"  # noqa: S608
_SELECT_RESIDENT_FOR_UPDATE = _SELECT_RESIDENT + " FOR UPDATE"


# The number the form brings is the one on file: the form changes nothing about the
# resident (Resident.note_phone compares the same way, as text).
_PHONE_ON_FILE = "EXISTS (SELECT 1 FROM residents WHERE id = $1 AND phone = $2)"


class ResidentRepository:
    def __init__(self, session: AsyncSession, writes: WriteBatch) -> None:
        self.session = session
        self.writes = writes

    async def get(self, resident_id: UUID, *, lock: bool = False) -> Resident | None:
        """The resident; `lock` begins the transaction and holds the row until it ends, a
        plain read runs in the open transaction or, before one, on its own."""
        if lock:
            driver = await transaction_connection(self.session)
            record = await driver.fetchrow(_SELECT_RESIDENT_FOR_UPDATE, resident_id)
        else:
            async with connection_for_statement(self.session) as driver:
                record = await driver.fetchrow(_SELECT_RESIDENT, resident_id)
        return None if record is None else Resident(**{k: record[k] for k in _RESIDENT_FIELDS})

    async def save(self, resident: Resident) -> None:
        await upsert(
            self.session, t.residents, [{k: getattr(resident, k) for k in _RESIDENT_FIELDS}]
        )

    def expect_phone(self, resident_id: UUID, phone: str) -> None:
        """The commit writes nothing unless `phone` is this resident's number on file then
        (it raises ExpectationFailed): checked in the commit's own statement."""
        self.writes.expect(_PHONE_ON_FILE, resident_id, phone)


class AuditLog:
    """Professionals' reads of residents' data, paged by the shared audit contract."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, **entry: Any) -> None:
        await self.session.execute(t.audit_records.insert().values(**entry))

    async def page(
        self,
        organisation_id: str,
        query: AuditQuery,
        *,
        resident_id: UUID | None = None,
        case_id: UUID | None = None,
        professional_id: str | None = None,
    ) -> list[AuditRecordOut]:
        a = t.audit_records.c
        stmt = organisation_records(
            t.audit_records,
            organisation_id,
            resident_id=resident_id,
            case_id=case_id,
            professional_id=professional_id,
        )
        rows = await self.session.execute(keyset_page(stmt, a.at, a.id, query))
        return [
            AuditRecordOut.of(
                id=r.id,
                service=SERVICE,
                at=r.at,
                actor=r.professional_id,
                organisation=r.organisation_id,
                unit=r.unit_id,
                resident_id=r.resident_id,
                case_id=r.case_id,
                action=r.action,
                purpose=r.purpose,
            )
            for r in rows
        ]


def _counted(rows: Any) -> tuple[list[dict[str, Any]], int]:
    """Rows carrying a window count `total`: the rows without it, and the count."""
    found = [dict(r) for r in rows]
    total = found[0]["total"] if found else 0
    return [{k: v for k, v in r.items() if k != "total"} for r in found], int(total)
