"""Every query of the notification service."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.notification.adapters.history import history_page
from careflow.notification.adapters.tables import (
    deliveries,
    delivery_steps,
    notifications,
    resident_contacts,
)
from careflow.notification.domain.contacts import ResidentContact
from careflow.notification.domain.delivery import OPEN, Delivery, Step
from careflow.notification.domain.history import (
    DeliveryRecord,
    HistoryCursor,
    NotificationRecord,
)
from careflow.notification.domain.notification import DECIDED, PARKED, NotificationRequest
from careflow.shared.db.driver import (
    connection_for_statement,
    json_param,
    transaction_connection,
)
from careflow.shared.db.upsert import upsert

_CONTACT_FIELDS = [f.name for f in dataclasses.fields(ResidentContact)]
_DELIVERY_FIELDS = [f.name for f in dataclasses.fields(Delivery) if f.name != "history"]
#: What sending changes on a delivery (the rest is fixed when it is queued).
_OUTCOME_FIELDS = ["status", "reason", "attempts", "next_attempt_at", "sent_at", "provider_ref"]

# The statements every notification and every send runs are on the driver connection
# (careflow.shared.db.driver), with asyncpg's positional parameters: through the
# session, SQLAlchemy's execution path (compiled-cache look-up, execution context,
# events, result processing) was most of the service's CPU per notification (py-spy at
# 220 notifications/s). The senders record outcomes with SAVE_ALONE on pools of their
# own (adapters.outcome_log); the rest (the API's reads, parking, contact updates)
# stays on the session.
_CONTACT_COLUMNS = ", ".join(_CONTACT_FIELDS)
_DELIVERY_COLUMNS = ", ".join(f"d.{name}" for name in _DELIVERY_FIELDS)
_GET_CONTACT_SHARED = (
    f"SELECT {_CONTACT_COLUMNS} FROM resident_contacts WHERE resident_id = $1 FOR SHARE"  # noqa: S608 (fixed names only)
)
_GET_CONTACTS = (
    f"SELECT {_CONTACT_COLUMNS} FROM resident_contacts "  # noqa: S608 (fixed names only)
    "WHERE resident_id = ANY($1)"
)
# Due rows of one channel, oldest first, none of a withdrawn notification; the status
# list is literal so the planner matches ix_deliveries_due's predicate.
_CLAIM_DUE = (
    f"SELECT {_DELIVERY_COLUMNS} FROM deliveries d "  # noqa: S608 (fixed names only)
    "WHERE d.channel = $1 AND d.status IN ('queued', 'retrying') AND d.next_attempt_at <= $2 "
    "AND NOT EXISTS (SELECT 1 FROM notification_withdrawals w "
    "WHERE w.notification_id = d.notification_id) "
    "ORDER BY d.next_attempt_at LIMIT $3 FOR UPDATE OF d SKIP LOCKED"
)
_LEASE = "UPDATE deliveries SET next_attempt_at = $1 WHERE delivery_id = ANY($2)"
# One delivery's outcome and its steps in one statement, run in autocommit: its own
# transaction, one round trip (BEGIN, SET LOCAL, UPDATE, INSERT and COMMIT were five,
# each waited for in turn on the email handover line, application.send). Its commit
# returns once PostgreSQL has it, before its WAL reaches the disk (set_config(..., true)
# is SET LOCAL, read at this statement's commit; the WAL is written within
# wal_writer_delay): only a crash of PostgreSQL itself can lose it. The `quick` CTE is
# joined, as PostgreSQL runs a plain SELECT in WITH only when it is referenced.
SAVE_ALONE = (
    "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)), "
    "saved AS (UPDATE deliveries SET status = $2, reason = $3, attempts = $4, "
    "next_attempt_at = $5, sent_at = $6, provider_ref = $7, updated_at = $8 "
    "WHERE delivery_id = $1 RETURNING delivery_id) "
    "INSERT INTO delivery_steps (delivery_id, status, code, attempt, at) "
    "SELECT saved.delivery_id, s.status, s.code, s.attempt, s.at FROM saved, quick, "
    "unnest($9::varchar[], $10::varchar[], $11::integer[], $12::timestamptz[]) "
    "WITH ORDINALITY AS s(status, code, attempt, at, n) ORDER BY s.n"
)


def outcome_values(delivery: Delivery, now: datetime) -> tuple[Any, ...]:
    """SAVE_ALONE's parameters: the delivery's outcome and the steps taken since its claim."""
    steps = delivery.history
    return (
        *(getattr(delivery, name) for name in ["delivery_id", *_OUTCOME_FIELDS]),
        now,
        [step.status for step in steps],
        [step.code for step in steps],
        [step.attempt for step in steps],
        [step.at for step in steps],
    )


_SAVE_OUTCOME = (
    update(deliveries)
    .where(deliveries.c.delivery_id == bindparam("b_delivery_id"))
    .values({name: bindparam(f"b_{name}") for name in [*_OUTCOME_FIELDS, "updated_at"]})
)


_NOTIFICATION_COLUMNS = (
    "notification_id",
    "resident_id",
    "purpose",
    "channels",
    "link",
    "case_id",
    "deadline",
    "not_before",
    "status",
    "source",
    "received_at",
    "organisation_id",
)
_ADD_NOTIFICATION = (
    f"INSERT INTO notifications ({', '.join(_NOTIFICATION_COLUMNS)}) "  # noqa: S608 (fixed names only)
    "VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10, $11, $12) "
    "ON CONFLICT (notification_id) DO NOTHING RETURNING notification_id"
)
# The delivery and its first step together; nothing when the delivery exists already.
_ADD_DELIVERY = (
    f"WITH added AS (INSERT INTO deliveries ({', '.join(_DELIVERY_FIELDS)}, updated_at) "  # noqa: S608 (fixed names only)
    f"VALUES ({', '.join(f'${n}' for n in range(1, len(_DELIVERY_FIELDS) + 2))}) "
    "ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id) "
    "INSERT INTO delivery_steps (delivery_id, status, code, attempt, at) "
    f"SELECT delivery_id, ${len(_DELIVERY_FIELDS) + 2}::varchar, "
    f"${len(_DELIVERY_FIELDS) + 3}::varchar, ${len(_DELIVERY_FIELDS) + 4}::integer, "
    f"${len(_DELIVERY_FIELDS) + 5}::timestamptz FROM added"
)


# Statements of every notification and every sending round, built once: building a
# select per call was a tenth of the service's CPU under load (profiled, 200/s).
_contact = select(resident_contacts).where(resident_contacts.c.resident_id == bindparam("id"))
_GET_CONTACT = {
    (False, False): _contact,
    (True, False): _contact.with_for_update(),
    (True, True): _contact.with_for_update(),
    (False, True): _contact.with_for_update(read=True),
}
_NEXT_DUE_AT = select(func.min(deliveries.c.next_attempt_at)).where(
    deliveries.c.channel == bindparam("channel"), deliveries.c.status.in_(OPEN)
)


_ADD_WITHDRAWAL = text(
    "INSERT INTO notification_withdrawals (notification_id, reason, replaced_by, withdrawn_at) "
    "VALUES (:notification_id, :reason, :replaced_by, :withdrawn_at) "
    "ON CONFLICT (notification_id) DO NOTHING"
)
# Open deliveries of the notification become suppressed, each with its step. A delivery a
# sender holds (claimed, being sent) is locked: this waits for that pass and then finds
# it no longer open: it went out before the withdrawal.
_SUPPRESS_OPEN = text(
    "WITH changed AS (UPDATE deliveries SET status = 'suppressed', reason = :reason, "
    "next_attempt_at = NULL, updated_at = :at "
    "WHERE notification_id = :notification_id AND status IN ('queued', 'retrying') "
    "RETURNING delivery_id, attempts) "
    "INSERT INTO delivery_steps (delivery_id, status, code, attempt, at) "
    "SELECT delivery_id, 'suppressed', CAST(:reason AS varchar), attempts, "
    "CAST(:at AS timestamptz) FROM changed"
)
_WITHDRAWN = "SELECT 1 FROM notification_withdrawals WHERE notification_id = $1"


class SqlWithdrawals:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self, notification_id: UUID, reason: str, replaced_by: UUID | None, at: datetime
    ) -> None:
        await self._session.execute(
            _ADD_WITHDRAWAL,
            {
                "notification_id": notification_id,
                "reason": reason,
                "replaced_by": replaced_by,
                "withdrawn_at": at,
            },
        )

    async def suppress_open(self, notification_id: UUID, reason: str, at: datetime) -> None:
        await self._session.execute(
            _SUPPRESS_OPEN, {"notification_id": notification_id, "reason": reason, "at": at}
        )

    async def withdrawn(self, notification_id: UUID) -> bool:
        driver = await transaction_connection(self._session)
        return await driver.fetchval(_WITHDRAWN, notification_id) is not None


class SqlContacts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(
        self, resident_id: UUID, *, lock: bool = False, share: bool = False
    ) -> ResidentContact | None:
        stmt = _GET_CONTACT[lock, share]
        row = (await self._session.execute(stmt, {"id": resident_id})).first()
        return None if row is None else ResidentContact(**row._mapping)

    async def get_many(self, resident_ids: set[UUID]) -> dict[UUID, ResidentContact]:
        if not resident_ids:
            return {}
        driver = await transaction_connection(self._session)
        rows = await driver.fetch(_GET_CONTACTS, list(resident_ids))
        return {row["resident_id"]: ResidentContact(**row) for row in rows}

    async def lock_new(self, resident_id: UUID, *, share: bool = False) -> ResidentContact:
        """The resident's row, created empty if missing, locked for this transaction.

        `share`: a FOR SHARE lock, for readers that must not interleave with a
        change (FOR UPDATE) but may run alongside each other: no lock-order
        deadlocks between consumers that only read the row.
        """
        if share:  # the row nearly always exists: one statement instead of two
            driver = await transaction_connection(self._session)
            row = await driver.fetchrow(_GET_CONTACT_SHARED, resident_id)
            if row is not None:
                return ResidentContact(**row)
        empty = ResidentContact(resident_id)
        await upsert(
            self._session,
            resident_contacts,
            [_values(empty, _CONTACT_FIELDS)],
            ("resident_id",),
            update=False,
        )
        contact = await self.get(resident_id, lock=not share, share=share)
        assert contact is not None
        return contact

    async def save(self, contact: ResidentContact) -> None:
        await self._session.execute(
            update(resident_contacts)
            .where(resident_contacts.c.resident_id == contact.resident_id)
            .values(**_values(contact, _CONTACT_FIELDS))
        )


class SqlNotifications:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, request: NotificationRequest, status: str) -> bool:
        """Records the request once; False when this notification_id was seen before."""
        values = _shallow(request) | {
            "status": status,
            "channels": json_param(list(request.channels)),
        }
        driver = await transaction_connection(self._session)
        added = await driver.fetchval(
            _ADD_NOTIFICATION, *(values[name] for name in _NOTIFICATION_COLUMNS)
        )
        return added is not None

    async def parked(self, resident_id: UUID) -> list[NotificationRequest]:
        stmt = (
            select(notifications)
            .where(notifications.c.resident_id == resident_id, notifications.c.status == PARKED)
            .order_by(notifications.c.received_at)
            .with_for_update()
        )
        return [_request(row._mapping) for row in await self._session.execute(stmt)]

    async def parked_before(self, moment: datetime, limit: int) -> list[NotificationRequest]:
        stmt = (
            select(notifications)
            .where(notifications.c.status == PARKED, notifications.c.received_at <= moment)
            .order_by(notifications.c.received_at)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        return [_request(row._mapping) for row in await self._session.execute(stmt)]

    async def mark_decided(self, notification_id: UUID) -> None:
        await self._session.execute(
            update(notifications)
            .where(notifications.c.notification_id == notification_id)
            .values(status=DECIDED)
        )

    async def of_resident(
        self, resident_id: UUID, limit: int, after: HistoryCursor | None = None
    ) -> list[NotificationRecord]:
        stmt = select(notifications).where(notifications.c.resident_id == resident_id)
        rows = await self._session.execute(history_page(stmt, limit, after))
        return [NotificationRecord.of_row(row._mapping) for row in rows]


class SqlDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, delivery: Delivery) -> None:
        await self.add_all([delivery])

    async def add_all(self, queued: list[Delivery]) -> None:
        """New deliveries (queued or suppressed, one step each), each with its first step;
        a delivery already there is left as it is. One round trip for the lot."""
        if not queued:
            return
        rows = []
        for delivery in queued:
            (step,) = delivery.history  # a new delivery has exactly its first step
            rows.append(
                (
                    *(getattr(delivery, name) for name in _DELIVERY_FIELDS),
                    delivery.created_at,
                    step.status,
                    step.code,
                    step.attempt,
                    step.at,
                )
            )
        driver = await transaction_connection(self._session)
        await driver.executemany(_ADD_DELIVERY, rows)

    async def claim_due(self, channel: str, now: datetime, limit: int = 1) -> list[Delivery]:
        """Up to `limit` due deliveries of `channel`, oldest first, locked; others skip them."""
        driver = await transaction_connection(self._session)
        rows = await driver.fetch(_CLAIM_DUE, channel, now, limit)
        return [Delivery(**row) for row in rows]

    async def next_due_at(self, channel: str) -> datetime | None:
        """When the next open delivery of `channel` falls due (it may be now or past)."""
        result = await self._session.execute(_NEXT_DUE_AT, {"channel": channel})
        return result.scalar_one()  # type: ignore[no-any-return]

    async def lease(self, claimed: list[Delivery], until: datetime) -> None:
        if not claimed:
            return
        driver = await transaction_connection(self._session)
        await driver.execute(_LEASE, until, [d.delivery_id for d in claimed])

    async def save_outcomes(
        self, sent: list[Delivery], now: datetime, *, alone: bool = False
    ) -> None:
        """Writes each delivery's new state and appends the steps taken since it was claimed.

        `alone`: one delivery, written and committed at once by one statement that does
        not wait for the disk; the unit of work must not have run anything before it,
        and its commit then has nothing left to do."""
        if not sent:
            return
        if alone:
            [delivery] = sent
            await self._save_alone(delivery, now)
            return
        await self._session.execute(
            _SAVE_OUTCOME,
            [
                {f"b_{k}": v for k, v in _values(d, ["delivery_id", *_OUTCOME_FIELDS]).items()}
                | {"b_updated_at": now}
                for d in sent
            ],
        )
        steps = [
            _shallow(step) | {"delivery_id": d.delivery_id} for d in sent for step in d.history
        ]
        if steps:
            await self._session.execute(delivery_steps.insert(), steps)

    async def _save_alone(self, delivery: Delivery, now: datetime) -> None:
        # Outside any transaction, on a pooled connection of its own (no BEGIN, no
        # COMMIT round trip): it commits on its own.
        async with connection_for_statement(self._session) as driver:
            await driver.execute(SAVE_ALONE, *outcome_values(delivery, now))

    async def of_notifications(self, ids: list[UUID]) -> list[DeliveryRecord]:
        if not ids:
            return []
        stmt = (
            select(deliveries)
            .where(deliveries.c.notification_id.in_(ids))
            .order_by(deliveries.c.created_at, deliveries.c.channel)
        )
        rows = await self._session.execute(stmt)
        return [DeliveryRecord.of_row(row._mapping) for row in rows]

    async def steps_of(self, ids: list[UUID]) -> dict[UUID, list[Step]]:
        if not ids:
            return {}
        s = delivery_steps.c
        stmt = (
            select(s.delivery_id, s.status, s.at, s.code, s.attempt)
            .where(s.delivery_id.in_(ids))
            .order_by(s.id)
        )
        steps: dict[UUID, list[Step]] = {}
        for row in await self._session.execute(stmt):
            steps.setdefault(row.delivery_id, []).append(
                Step(row.status, row.at, row.code, row.attempt)
            )
        return steps


def _shallow(obj: Any) -> dict[str, Any]:
    """A flat dataclass's fields; not `dataclasses.asdict`, which deep-copies every
    value (UUIDs, datetimes) and was 4 % of the service's CPU under load."""
    return {f.name: getattr(obj, f.name) for f in dataclasses.fields(obj)}


def _values(obj: object, names: list[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _request(row: Any) -> NotificationRequest:
    fields = {f.name for f in dataclasses.fields(NotificationRequest)}
    values = {k: v for k, v in row.items() if k in fields}
    return NotificationRequest(**(values | {"channels": tuple(row["channels"])}))
