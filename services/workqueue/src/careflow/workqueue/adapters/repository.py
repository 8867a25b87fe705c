"""Every query of the work queue: items, parked events, audit records."""

from __future__ import annotations

from dataclasses import fields
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import delete, func, insert, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.shared.audit import AuditQuery, AuditRecordOut
from careflow.shared.audit.sql import keyset_page, organisation_records
from careflow.shared.db.driver import (
    connection_for_statement,
    json_param,
    json_value,
    transaction_connection,
    value_rows,
)
from careflow.shared.db.write_batch import WriteBatch, write_in_transaction
from careflow.workqueue.adapters.tables import (
    audit_records,
    parked_events,
    queue_items,
    resident_names,
)
from careflow.workqueue.domain.audit import AuditRecord
from careflow.workqueue.domain.model import QueueItem, Status
from careflow.workqueue.domain.ordering import QueueQuery
from careflow.workqueue.domain.retention import ENDED
from careflow.workqueue.domain.urgency import UrgencyChange

#: The name audit records carry, so merged pages tell the services apart.
SERVICE = "workqueue"
_ITEM_FIELDS = [f.name for f in fields(QueueItem) if f.name not in ("events", "urgency_history")]
_C = queue_items.c


def _history_to_row(history: list[UrgencyChange]) -> list[dict[str, Any]]:
    return [
        {
            "previous": c.previous,
            "current": c.current,
            "reason_code": c.reason_code,
            "explanation": c.explanation,
            "changed_by": c.changed_by,
            "changed_at": c.changed_at.isoformat(),
        }
        for c in history
    ]


def _history_from_row(raw: list[dict[str, Any]]) -> list[UrgencyChange]:
    return [
        UrgencyChange(**{**c, "changed_at": datetime.fromisoformat(c["changed_at"])}) for c in raw
    ]


def _to_row(item: QueueItem) -> dict[str, Any]:
    row = {name: getattr(item, name) for name in _ITEM_FIELDS}
    row["status"] = item.status.value
    row["urgency_history"] = _history_to_row(item.urgency_history)
    return row


def _from_row(row: Any) -> QueueItem:
    data = {name: getattr(row, name) for name in _ITEM_FIELDS}
    data["status"] = Status(data["status"])
    return QueueItem(**data, urgency_history=_history_from_row(row.urgency_history))


_NAME_OF_RESIDENT = resident_names.c.resident_id == _C.resident_id

# The consumed events' statements, on the driver connection (careflow.shared.db.driver):
# every CaseSubmitted reads its item or parked events plainly, then writes at the commit.
_COLUMNS = [c.name for c in queue_items.c]
_SELECT_ITEM_FOR_UPDATE = (
    f"SELECT {', '.join(_COLUMNS)} FROM queue_items WHERE case_id = $1 FOR UPDATE"  # noqa: S608
)
_SELECT_ITEM = f"SELECT {', '.join(_COLUMNS)} FROM queue_items WHERE case_id = $1"  # noqa: S608
_INSERT_ITEM = (
    f"INSERT INTO queue_items ({', '.join(_COLUMNS)}) "  # noqa: S608
    f"VALUES {value_rows(1, len(_COLUMNS))}"
)
_SELECT_ITEM_OR_PARKED = (
    f"SELECT {', '.join('q.' + c for c in _COLUMNS)}, "  # noqa: S608
    "(SELECT json_agg(json_build_array(p.id, p.event_type, p.payload) ORDER BY p.id) "
    "FROM parked_events AS p WHERE p.case_id = $1) AS parked "
    "FROM (SELECT 1) AS one LEFT JOIN queue_items AS q ON q.case_id = $1"
)
_DELETE_PARKED = "DELETE FROM parked_events WHERE id = ANY($1::int[])"
#: Every consumed follow-up and every command changes one item: $1 is its key.
_UPDATE_ORDER = ["case_id", *(name for name in _COLUMNS if name != "case_id")]
_UPDATE_ITEM_SQL = (
    "UPDATE queue_items SET "  # noqa: S608 (the table's own column names)
    + ", ".join(f"{name} = ${n}" for n, name in enumerate(_UPDATE_ORDER[1:], 2))
    + " WHERE case_id = $1"
)


def _from_record(record: Any) -> QueueItem:
    data = {name: record[name] for name in _ITEM_FIELDS}
    data["status"] = Status(data["status"])
    history = json_value(record["urgency_history"])
    return QueueItem(**data, urgency_history=_history_from_row(history))


class SqlItemRepository:
    """Queue items and the events parked for cases not known yet.

    An item's insert or update waits in the unit of work's batch and goes with the
    outbox rows at the commit, in one statement (careflow.shared.db.write_batch). A read
    of a case whose writes wait sends them first, so the second event of a consumed batch
    on that case sees the first; a read of another case leaves them waiting (a batch of
    new cases then reads each plainly and writes them all in one statement)."""

    def __init__(self, session: AsyncSession, writes: WriteBatch) -> None:
        self.session = session
        self.writes = writes
        #: The cases whose writes wait in `writes`.
        self._waiting: set[UUID] = set()

    async def _send_writes_of(self, case_id: UUID) -> None:
        if case_id in self._waiting:
            await self._send_writes()

    async def _send_writes(self) -> None:
        await write_in_transaction(self.session, self.writes)
        self._waiting.clear()

    async def get(self, case_id: UUID, *, for_update: bool = False) -> QueueItem | None:
        """One item; `for_update` begins the transaction and locks the row until it ends,
        so concurrent commands serialise. A plain read runs in the open transaction or,
        before one, on its own: a use case that then only queues writes sends no BEGIN
        and no COMMIT (careflow.shared.outbox.unit_of_work)."""
        await self._send_writes_of(case_id)
        if for_update:
            driver = await transaction_connection(self.session)
            record = await driver.fetchrow(_SELECT_ITEM_FOR_UPDATE, case_id)
        else:
            async with connection_for_statement(self.session) as driver:
                record = await driver.fetchrow(_SELECT_ITEM, case_id)
        return None if record is None else _from_record(record)

    async def add(self, item: QueueItem) -> None:
        row = _to_row(item)
        row["urgency_history"] = json_param(row["urgency_history"])
        self.writes.add(_INSERT_ITEM, *(row[name] for name in _COLUMNS))
        self._waiting.add(item.case_id)

    async def update(self, item: QueueItem) -> None:
        row = _to_row(item)
        row["urgency_history"] = json_param(row["urgency_history"])
        self.writes.add(_UPDATE_ITEM_SQL, *(row[name] for name in _UPDATE_ORDER))
        self._waiting.add(item.case_id)

    async def list(self, query: QueueQuery, now: datetime) -> tuple[list[QueueItem], int]:
        """One page of a view and the number of items in the whole view (QueueQuery.matches)."""
        await self._send_writes()
        latest, earliest = query.submitted_bounds(now)
        conditions = [
            _C.organisation_id == query.organisation_id,
            _C.status.in_([s.value for s in query.statuses]),
            _C.status != Status.REMOVED.value,
        ]
        if query.groups:
            pinned = _C.status == Status.EMERGENCY.value  # domain.ordering.pinned
            conditions.append(or_(_C.group_id.in_(query.groups), pinned))
        if query.case_kinds:
            conditions.append(_C.case_kind.in_(query.case_kinds))
        if query.urgencies:
            conditions.append(_C.urgency.in_(query.urgencies))
        if query.assignee is not None:
            conditions.append(_C.assignee == query.assignee)
        if query.languages:
            conditions.append(_C.language.in_(query.languages))
        if latest is not None:
            conditions.append(_C.submitted_at <= latest)
        if earliest is not None:
            conditions.append(_C.submitted_at >= earliest)
        name = resident_names.c.name
        order = (
            [_C.closed_at.desc().nulls_last(), _C.case_id]
            if query.closed_view
            # domain.ordering.sort_key's order; names compare in the database's collation.
            else [_C.urgency_rank, _C.submitted_at, func.lower(name).nulls_last(), _C.case_id]
        )
        rows = await self.session.execute(
            select(queue_items)
            .select_from(
                queue_items.outerjoin(
                    resident_names, resident_names.c.resident_id == _C.resident_id
                )
            )
            .where(*conditions)
            .order_by(*order)
            .limit(query.limit)
            .offset(query.offset)
        )
        total = await self.session.scalar(
            select(func.count()).select_from(queue_items).where(*conditions)
        )
        return [_from_row(r) for r in rows], int(total or 0)

    async def park(
        self, case_id: UUID, event_id: str, event_type: str, payload: dict[str, Any], at: datetime
    ) -> None:
        await self.session.execute(
            insert(parked_events).values(
                case_id=case_id,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                parked_at=at,
            )
        )

    async def get_or_parked(
        self, case_id: UUID
    ) -> tuple[QueueItem | None, list[tuple[str, dict[str, Any]]]]:
        """The item, read plainly; with none, the (event_type, payload) parked for its
        case, oldest first, which are removed with the commit (a write of the batch, by
        id: one parked after this read stays for the next). One statement for both: every
        consumed CaseSubmitted asks."""
        await self._send_writes_of(case_id)
        async with connection_for_statement(self.session) as driver:
            record = await driver.fetchrow(_SELECT_ITEM_OR_PARKED, case_id)
        if record["case_id"] is not None:
            return _from_record(record), []
        parked = json_value(record["parked"]) or []
        if parked:
            self.writes.add(_DELETE_PARKED, [row_id for row_id, _, _ in parked])
            self._waiting.add(case_id)
        return None, [(event_type, payload) for _, event_type, payload in parked]

    async def purge_closed(self, closed_no_later_than: datetime, *, limit: int) -> int:
        """Deletes up to `limit` ended items closed no later than the cutoff
        (domain.retention.expired); rows another replica is purging are skipped."""
        await self._send_writes()
        doomed = (
            select(_C.case_id)
            .where(
                _C.status.in_([s.value for s in ENDED]),
                _C.closed_at <= closed_no_later_than,
            )
            .order_by(_C.closed_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        result = await self.session.execute(
            delete(queue_items).where(_C.case_id.in_(doomed.scalar_subquery()))
        )
        return int(result.rowcount or 0)  # type: ignore[attr-defined]

    async def count_overdue(self, now: datetime) -> dict[tuple[str, str], int]:
        """Free items past their due time, per (organisation, urgency class)
        (QueueItem.overdue); a class without a target is never due."""
        await self._send_writes()
        rows = await self.session.execute(
            select(_C.organisation_id, _C.urgency, func.count())
            .where(_C.status == Status.FREE.value, _C.response_due_at < now)
            .group_by(_C.organisation_id, _C.urgency)
        )
        return {(org, urgency): int(n) for org, urgency, n in rows}

    async def free_by_urgency(
        self, now: datetime
    ) -> dict[tuple[str, str], tuple[int, float | None]]:
        """Per (organisation, urgency class or "none"): free items and the seconds until
        the earliest of them is due (negative: it is late; None: the class has no target)."""
        await self._send_writes()
        urgency = func.coalesce(_C.urgency, "none")
        rows = await self.session.execute(
            select(_C.organisation_id, urgency, func.count(), func.min(_C.response_due_at))
            .where(_C.status == Status.FREE.value)
            .group_by(_C.organisation_id, urgency)
        )
        return {
            (org, code): (int(n), None if due is None else (due - now).total_seconds())
            for org, code, n, due in rows
        }

    async def count_parked(self) -> int:
        await self._send_writes()
        return int(await self.session.scalar(select(func.count()).select_from(parked_events)) or 0)


class SqlAuditLog:
    """Append-only audit of professionals' reads; paged by the shared audit contract."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, records: list[AuditRecord]) -> None:
        if not records:
            return
        await self.session.execute(
            insert(audit_records),
            [
                {
                    "organisation_id": r.organisation_id,
                    "professional_id": r.professional_id,
                    "resident_id": r.resident_id,
                    "case_id": r.case_id,
                    "action": r.action.value,
                    "at": r.at,
                    "purpose": r.purpose,
                }
                for r in records
            ],
        )

    async def page(
        self,
        organisation_id: str,
        query: AuditQuery,
        *,
        resident_id: UUID | None = None,
        case_id: UUID | None = None,
        professional_id: str | None = None,
    ) -> list[AuditRecordOut]:
        a = audit_records.c
        stmt = organisation_records(
            audit_records,
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
                unit=None,  # workqueue has never stored the reader's unit
                resident_id=r.resident_id,
                case_id=r.case_id,
                action=r.action,
                purpose=r.purpose,
            )
            for r in rows
        ]


__all__ = ["SqlAuditLog", "SqlItemRepository"]


class SqlResidentNames:
    """Residents' names for the sort order; an older change never overwrites a newer one."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def note(self, resident_id: UUID, name: str | None, changed_at: datetime) -> None:
        stmt = pg_insert(resident_names).values(
            resident_id=resident_id, name=name, changed_at=changed_at
        )
        await self.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["resident_id"],
                set_={"name": stmt.excluded.name, "changed_at": stmt.excluded.changed_at},
                where=resident_names.c.changed_at <= stmt.excluded.changed_at,
            )
        )
