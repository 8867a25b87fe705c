"""Every query of the notification service."""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.notification.adapters.history import history_page
from careflow.notification.adapters.tables import (
    deliveries,
    delivery_steps,
    notification_withdrawals,
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
from careflow.shared.db.upsert import upsert

_CONTACT_FIELDS = [f.name for f in dataclasses.fields(ResidentContact)]
_DELIVERY_FIELDS = [f.name for f in dataclasses.fields(Delivery) if f.name != "history"]
#: What sending changes on a delivery (the rest is fixed when it is queued).
_OUTCOME_FIELDS = ["status", "reason", "attempts", "next_attempt_at", "sent_at", "provider_ref"]
# Built once: executed with one parameter set per delivery (asyncpg executemany).
# One delivery's outcome and its steps in one statement, run in autocommit: its own
# transaction, one round trip (BEGIN, SET LOCAL, UPDATE, INSERT and COMMIT were five,
# each waited for in turn under the email handover gate, application.send). Its commit
# returns once PostgreSQL has it, before its WAL reaches the disk (set_config(..., true)
# is SET LOCAL, read at this statement's commit; the WAL is written within
# wal_writer_delay): only a crash of PostgreSQL itself can lose it. The `quick` CTE is
# joined, as PostgreSQL runs a plain SELECT in WITH only when it is referenced.
_SAVE_ALONE = text(
    "WITH quick AS (SELECT set_config('synchronous_commit', 'off', true)), "
    "saved AS (UPDATE deliveries SET status = :status, reason = :reason, "
    "attempts = :attempts, next_attempt_at = :next_attempt_at, sent_at = :sent_at, "
    "provider_ref = :provider_ref, updated_at = :updated_at "
    "WHERE delivery_id = :delivery_id RETURNING delivery_id) "
    "INSERT INTO delivery_steps (delivery_id, status, code, attempt, at) "
    "SELECT saved.delivery_id, s.status, s.code, s.attempt, s.at FROM saved, quick, "
    "unnest(CAST(:step_status AS varchar[]), CAST(:step_code AS varchar[]), "
    "CAST(:step_attempt AS integer[]), CAST(:step_at AS timestamptz[])) "
    "WITH ORDINALITY AS s(status, code, attempt, at, n) ORDER BY s.n"
)
_SAVE_OUTCOME = (
    update(deliveries)
    .where(deliveries.c.delivery_id == bindparam("b_delivery_id"))
    .values({name: bindparam(f"b_{name}") for name in [*_OUTCOME_FIELDS, "updated_at"]})
)


# Plain SQL on purpose: SQLAlchemy does not cache compiled ON CONFLICT inserts, and
# these run for every notification (as the platform's inbox claim does).
_ADD_NOTIFICATION = text(
    "INSERT INTO notifications (notification_id, resident_id, purpose, channels, link, case_id, "
    "deadline, not_before, status, source, received_at, organisation_id) "
    "VALUES (:notification_id, :resident_id, :purpose, CAST(:channels AS jsonb), :link, "
    ":case_id, :deadline, :not_before, :status, :source, :received_at, :organisation_id) "
    "ON CONFLICT (notification_id) DO NOTHING RETURNING notification_id"
)
# The delivery and its first step together; nothing when the delivery exists already.
_ADD_DELIVERY = text(
    "WITH added AS ("
    "INSERT INTO deliveries (delivery_id, notification_id, channel, created_at, resident_id, "
    "recipient, subject, body, status, reason, attempts, next_attempt_at, sent_at, "
    "provider_ref, updated_at) "
    "VALUES (:delivery_id, :notification_id, :channel, :created_at, :resident_id, "
    ":recipient, :subject, :body, :status, :reason, :attempts, :next_attempt_at, :sent_at, "
    ":provider_ref, :updated_at) "
    "ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id) "
    "INSERT INTO delivery_steps (delivery_id, status, code, attempt, at) "
    "SELECT delivery_id, CAST(:step_status AS varchar), CAST(:step_code AS varchar), "
    "CAST(:step_attempt AS integer), CAST(:step_at AS timestamptz) FROM added"
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
_GET_CONTACTS = select(resident_contacts).where(
    resident_contacts.c.resident_id.in_(bindparam("ids", expanding=True))
)
_CLAIM_DUE = (
    select(deliveries)
    .where(
        deliveries.c.channel == bindparam("channel"),
        deliveries.c.status.in_(OPEN),
        deliveries.c.next_attempt_at <= bindparam("now"),
        ~select(notification_withdrawals.c.notification_id)
        .where(notification_withdrawals.c.notification_id == deliveries.c.notification_id)
        .exists(),
    )
    .order_by(deliveries.c.next_attempt_at)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_LEASE = (
    update(deliveries)
    .where(deliveries.c.delivery_id.in_(bindparam("ids", expanding=True)))
    .values(next_attempt_at=bindparam("until"))
)
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
_WITHDRAWN = select(notification_withdrawals.c.notification_id).where(
    notification_withdrawals.c.notification_id == bindparam("id")
)


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
        return (
            await self._session.execute(_WITHDRAWN, {"id": notification_id})
        ).first() is not None


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
        rows = await self._session.execute(_GET_CONTACTS, {"ids": list(resident_ids)})
        return {row.resident_id: ResidentContact(**row._mapping) for row in rows}

    async def lock_new(self, resident_id: UUID, *, share: bool = False) -> ResidentContact:
        """The resident's row, created empty if missing, locked for this transaction.

        `share`: a FOR SHARE lock, for readers that must not interleave with a
        change (FOR UPDATE) but may run alongside each other: no lock-order
        deadlocks between consumers that only read the row.
        """
        if share:  # the row nearly always exists: one statement instead of two
            contact = await self.get(resident_id, share=True)
            if contact is not None:
                return contact
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
            "channels": json.dumps(list(request.channels)),
        }
        result = await self._session.execute(_ADD_NOTIFICATION, values)
        return result.first() is not None

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
            values = _values(delivery, _DELIVERY_FIELDS) | {"updated_at": delivery.created_at}
            rows.append(values | {f"step_{k}": v for k, v in _shallow(step).items()})
        await self._session.execute(_ADD_DELIVERY, rows)

    async def claim_due(self, channel: str, now: datetime, limit: int = 1) -> list[Delivery]:
        """Up to `limit` due deliveries of `channel`, oldest first, locked; others skip them."""
        rows = await self._session.execute(
            _CLAIM_DUE, {"channel": channel, "now": now, "limit": limit}
        )
        return [
            Delivery(**{k: v for k, v in row._mapping.items() if k in _DELIVERY_FIELDS})
            for row in rows
        ]

    async def next_due_at(self, channel: str) -> datetime | None:
        """When the next open delivery of `channel` falls due (it may be now or past)."""
        result = await self._session.execute(_NEXT_DUE_AT, {"channel": channel})
        return result.scalar_one()  # type: ignore[no-any-return]

    async def lease(self, claimed: list[Delivery], until: datetime) -> None:
        if not claimed:
            return
        await self._session.execute(
            _LEASE, {"until": until, "ids": [d.delivery_id for d in claimed]}
        )

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
        # Autocommit from the session's first statement: no BEGIN, no COMMIT round trip.
        await self._session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
        steps = delivery.history
        await self._session.execute(
            _SAVE_ALONE,
            _values(delivery, ["delivery_id", *_OUTCOME_FIELDS])
            | {
                "updated_at": now,
                "step_status": [step.status for step in steps],
                "step_code": [step.code for step in steps],
                "step_attempt": [step.attempt for step in steps],
                "step_at": [step.at for step in steps],
            },
        )

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
