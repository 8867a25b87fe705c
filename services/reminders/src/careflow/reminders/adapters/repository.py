"""Queries of reminders and their send queue."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.reminders.adapters.tables import reminder_sends, reminders
from careflow.reminders.domain.listing import DueSend, ReminderFilter, SendMark
from careflow.reminders.domain.reminder import (
    Kind,
    Reminder,
    Send,
    SendStatus,
    Source,
    Status,
)
from careflow.shared.db.upsert import upsert

_REMINDER_FIELDS = [c.name for c in reminders.columns]
_SEND_FIELDS = [
    "send_id",
    "reminder_id",
    "send_at",
    "status",
    "requested_at",
    "withdrawn_at",
    "reason",
]

# The scheduler's claim: due sends, oldest first, locked; rows another replica (or a
# use case withdrawing them) holds are skipped, so no send is claimed twice. Only sends
# of a reminder whose resident is known (a booking's case may not be yet); with the
# resident's opt-ins, if intake has said them.
_CLAIM_DUE = text(
    "SELECT s.send_id, s.reminder_id, s.send_at, r.resident_id, r.kind, r.channels, "
    "r.organisation_id, r.case_id, c.email_opt_in, c.sms_opt_in "
    "FROM reminder_sends s JOIN reminders r ON r.reminder_id = s.reminder_id "
    "LEFT JOIN resident_contacts c ON c.resident_id = r.resident_id "
    "WHERE s.status = 'scheduled' AND s.send_at <= :now AND r.resident_id IS NOT NULL "
    "ORDER BY s.send_at LIMIT :limit FOR UPDATE OF s SKIP LOCKED"
)
_MARK = text(
    "UPDATE reminder_sends SET status = :status, channels = CAST(:channels AS jsonb), "
    "requested_at = COALESCE(CAST(:requested_at AS timestamptz), requested_at), "
    "reason = :reason WHERE send_id = :send_id"
)
_MARK_ALL = text(
    "UPDATE reminder_sends s SET status = m.status, channels = CAST(m.channels AS jsonb), "
    "requested_at = CASE WHEN m.status = 'requested' THEN CAST(:at AS timestamptz) "
    "ELSE s.requested_at END, reason = m.reason "
    "FROM unnest(CAST(:send_ids AS uuid[]), CAST(:statuses AS text[]), "
    "CAST(:channels AS text[]), CAST(:reasons AS text[])) "
    "AS m(send_id, status, channels, reason) WHERE s.send_id = m.send_id"
)
_NEXT_DUE = select(func.min(reminder_sends.c.send_at)).where(
    reminder_sends.c.status == SendStatus.SCHEDULED.value
)
# Built once with bound values, so SQLAlchemy compiles each once: a booking move runs
# them, and `insert().values(...)` / `update().values(...)` built per call compiled per call.
_INSERT_REMINDER = insert(reminders)
_UPDATE_REMINDER = (
    update(reminders)
    .where(reminders.c.reminder_id == bindparam("where_reminder_id"))
    .values(
        {c: bindparam(c, type_=reminders.c[c].type) for c in _REMINDER_FIELDS if c != "reminder_id"}
    )
)
_SENDS_OF = (
    select(reminder_sends)
    .where(reminder_sends.c.reminder_id.in_(bindparam("ids", expanding=True)))
    .order_by(reminder_sends.c.send_at)
)
_SENDS_OF_LOCKED = _SENDS_OF.with_for_update()
# Every booking event reads its reminder: built once, not per event.
_BY_BOOKING = (
    select(reminders)
    .where(reminders.c.booking_id == bindparam("booking_id"))
    .with_for_update(of=reminders)
)


def _reminder(row: Any, sends: list[Send]) -> Reminder:
    values = dict(row._mapping)
    values["kind"] = Kind(values["kind"])
    values["source"] = Source(values["source"])
    values["status"] = Status(values["status"])
    values["channels"] = tuple(values["channels"])
    return Reminder(**values, sends=sends)


def _send(row: Any) -> Send:
    values = {k: row._mapping[k] for k in _SEND_FIELDS}
    values["status"] = SendStatus(values["status"])
    return Send(**values)


def _send_state(send: Send) -> tuple[Any, ...]:
    return tuple(getattr(send, k) for k in _SEND_FIELDS)


class SqlReminders:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session
        # Each send as it was read in this unit of work: saving writes only the sends
        # added or changed since (a booking moved often has many withdrawn ones).
        self._read: dict[UUID, tuple[Any, ...]] = {}

    async def _load(self, stmt: Any, *, lock: bool = False) -> list[Reminder]:
        if lock:
            stmt = stmt.with_for_update(of=reminders)
        return await self._with_sends(list(await self._session.execute(stmt)), lock=lock)

    async def _with_sends(self, rows: list[Any], *, lock: bool) -> list[Reminder]:
        if not rows:
            return []
        ids = [row.reminder_id for row in rows]
        sends_stmt = _SENDS_OF_LOCKED if lock else _SENDS_OF
        by_reminder: dict[UUID, list[Send]] = {i: [] for i in ids}
        # Locking the sends waits for a scheduler pass that holds them: after it, a
        # send it claimed reads `requested`, so its withdrawal is published.
        for srow in await self._session.execute(sends_stmt, {"ids": ids}):
            send = _send(srow)
            self._read[send.send_id] = _send_state(send)
            by_reminder[srow.reminder_id].append(send)
        return [_reminder(row, by_reminder[row.reminder_id]) for row in rows]

    async def get(self, reminder_id: UUID, *, for_update: bool = False) -> Reminder | None:
        stmt = select(reminders).where(reminders.c.reminder_id == reminder_id)
        found = await self._load(stmt, lock=for_update)
        return found[0] if found else None

    async def by_booking(self, booking_id: str) -> Reminder | None:
        rows = list(await self._session.execute(_BY_BOOKING, {"booking_id": booking_id}))
        found = await self._with_sends(rows, lock=True)
        return found[0] if found else None

    async def by_rule(self, rule_id: UUID, resident_id: UUID) -> Reminder | None:
        stmt = select(reminders).where(
            reminders.c.rule_id == rule_id, reminders.c.resident_id == resident_id
        )
        found = await self._load(stmt, lock=True)
        return found[0] if found else None

    async def add(self, reminder: Reminder) -> None:
        await self._session.execute(_INSERT_REMINDER, _row(reminder))
        await self._save_sends(reminder)

    async def save(self, reminder: Reminder) -> None:
        values = _row(reminder)
        values["where_reminder_id"] = values.pop("reminder_id")
        await self._session.execute(_UPDATE_REMINDER, values)
        await self._save_sends(reminder)

    async def _save_sends(self, reminder: Reminder) -> None:
        rows = []
        for send in reminder.sends:
            if self._read.get(send.send_id) == _send_state(send):
                continue  # as read: nothing to write
            row = {k: getattr(send, k) for k in _SEND_FIELDS}
            row["status"] = str(row["status"])
            rows.append(row)
        # A send read here was read under lock (FOR UPDATE): the columns written back
        # unchanged (its reminder, requested_at) are what it has.
        await upsert(self._session, reminder_sends, rows, key=("send_id",))
        for send in reminder.sends:
            self._read[send.send_id] = _send_state(send)

    async def list(self, query: ReminderFilter) -> list[Reminder]:
        r = reminders.c
        stmt = select(reminders).where(r.organisation_id == query.organisation_id)
        if query.resident_id is not None:
            stmt = stmt.where(r.resident_id == query.resident_id)
        if query.status is not None:
            stmt = stmt.where(r.status == query.status)
        if query.kind is not None:
            stmt = stmt.where(r.kind == query.kind)
        if query.channel is not None:
            stmt = stmt.where(r.channels.contains([query.channel]))
        if query.due_from is not None:
            stmt = stmt.where(func.date(r.due_at) >= query.due_from)
        if query.due_to is not None:
            stmt = stmt.where(func.date(r.due_at) <= query.due_to)
        stmt = stmt.order_by(r.due_at, r.reminder_id).limit(query.limit).offset(query.offset)
        return await self._load(stmt)

    async def of_resident(self, resident_id: UUID) -> list[Reminder]:
        stmt = (
            select(reminders)
            .where(reminders.c.resident_id == resident_id, reminders.c.kind != Kind.INTERNAL.value)
            .order_by(reminders.c.due_at)
            .limit(500)
        )
        return await self._load(stmt)

    async def assign_resident(self, case_id: UUID, resident_id: UUID) -> None:
        await self._session.execute(
            update(reminders)
            .where(reminders.c.case_id == case_id, reminders.c.resident_id.is_(None))
            .values(resident_id=resident_id)
        )

    async def unsent_on_template(
        self, template_id: UUID, language: str, version: int
    ) -> list[Reminder]:
        """Active reminders on an older version of the text with a send still scheduled."""
        r = reminders.c
        scheduled = (
            select(reminder_sends.c.send_id)
            .where(
                reminder_sends.c.reminder_id == r.reminder_id,
                reminder_sends.c.status == SendStatus.SCHEDULED.value,
            )
            .exists()
        )
        stmt = select(reminders).where(
            r.template_id == template_id,
            r.language == language,
            r.template_version < version,
            r.status == Status.ACTIVE.value,
            scheduled,
        )
        return await self._load(stmt, lock=True)


class SqlSendQueue:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def claim_due(self, now: datetime, limit: int) -> list[DueSend]:
        rows = await self._session.execute(_CLAIM_DUE, {"now": now, "limit": limit})
        return [
            DueSend(
                send_id=row.send_id,
                reminder_id=row.reminder_id,
                send_at=row.send_at,
                resident_id=row.resident_id,
                kind=row.kind,
                channels=tuple(row.channels),
                organisation_id=row.organisation_id,
                case_id=row.case_id,
                email_opt_in=row.email_opt_in,
                sms_opt_in=row.sms_opt_in,
            )
            for row in rows
        ]

    async def mark(
        self,
        send_id: UUID,
        status: str,
        channels: tuple[str, ...],
        at: datetime,
        reason: str | None,
    ) -> None:
        await self._session.execute(
            _MARK,
            {
                "send_id": send_id,
                "status": status,
                "channels": json.dumps(list(channels)),
                "requested_at": at if status == SendStatus.REQUESTED.value else None,
                "reason": reason,
            },
        )

    async def mark_all(self, marks: list[SendMark], at: datetime) -> None:
        """A pass's sends, each to its new state, in one statement."""
        if not marks:
            return
        await self._session.execute(
            _MARK_ALL,
            {
                "send_ids": [m.send_id for m in marks],
                "statuses": [m.status for m in marks],
                "channels": [json.dumps(list(m.channels)) for m in marks],
                "reasons": [m.reason for m in marks],
                "at": at,
            },
        )

    async def next_due_at(self) -> datetime | None:
        return (await self._session.execute(_NEXT_DUE)).scalar_one()  # type: ignore[no-any-return]


def _row(reminder: Reminder) -> dict[str, Any]:
    values = {k: getattr(reminder, k) for k in _REMINDER_FIELDS}
    values["kind"] = str(reminder.kind)
    values["source"] = str(reminder.source)
    values["status"] = str(reminder.status)
    values["channels"] = list(reminder.channels)
    return values
