"""Every query of the notification service."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import Any
from uuid import UUID

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.notification.adapters.tables import (
    deliveries,
    delivery_steps,
    notifications,
    resident_contacts,
)
from careflow.notification.domain.contacts import ResidentContact
from careflow.notification.domain.delivery import OPEN, Delivery, Step
from careflow.notification.domain.notification import DECIDED, PARKED, NotificationRequest

_CONTACT_FIELDS = [f.name for f in dataclasses.fields(ResidentContact)]
_DELIVERY_FIELDS = [f.name for f in dataclasses.fields(Delivery) if f.name != "history"]


class SqlContacts:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, resident_id: UUID, *, lock: bool = False) -> ResidentContact | None:
        stmt = select(resident_contacts).where(resident_contacts.c.resident_id == resident_id)
        row = (await self._session.execute(stmt.with_for_update() if lock else stmt)).first()
        return None if row is None else ResidentContact(**row._mapping)

    async def lock_new(self, resident_id: UUID) -> ResidentContact:
        """The resident's row, created empty if missing, locked for this transaction."""
        empty = ResidentContact(resident_id)
        await self._session.execute(
            pg_insert(resident_contacts)
            .values(**_values(empty, _CONTACT_FIELDS))
            .on_conflict_do_nothing(index_elements=["resident_id"])
        )
        contact = await self.get(resident_id, lock=True)
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
        values = dataclasses.asdict(request) | {
            "status": status,
            "channels": list(request.channels),
        }
        result = await self._session.execute(
            pg_insert(notifications)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["notification_id"])
            .returning(notifications.c.notification_id)
        )
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

    async def of_resident(self, resident_id: UUID, limit: int) -> list[dict[str, Any]]:
        stmt = (
            select(notifications)
            .where(notifications.c.resident_id == resident_id)
            .order_by(notifications.c.received_at.desc())
            .limit(limit)
        )
        return [dict(row._mapping) for row in await self._session.execute(stmt)]


class SqlDeliveries:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, delivery: Delivery) -> None:
        values = _values(delivery, _DELIVERY_FIELDS) | {"updated_at": delivery.created_at}
        result = await self._session.execute(
            pg_insert(deliveries)
            .values(**values)
            .on_conflict_do_nothing(index_elements=["delivery_id"])
            .returning(deliveries.c.delivery_id)
        )
        if result.first() is not None:
            await self._add_steps(delivery.delivery_id, delivery.history)

    async def claim_due(self, channel: str, now: datetime) -> Delivery | None:
        """The oldest due delivery of `channel`, locked; other replicas skip it."""
        stmt = (
            select(deliveries)
            .where(
                deliveries.c.channel == channel,
                deliveries.c.status.in_(OPEN),
                deliveries.c.next_attempt_at <= now,
            )
            .order_by(deliveries.c.next_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        row = (await self._session.execute(stmt)).first()
        if row is None:
            return None
        fields = {k: v for k, v in row._mapping.items() if k in _DELIVERY_FIELDS}
        return Delivery(**fields)

    async def save(self, delivery: Delivery, now: datetime) -> None:
        """Writes the new state and appends the steps taken since it was loaded."""
        values = _values(delivery, _DELIVERY_FIELDS) | {"updated_at": now}
        await self._session.execute(
            update(deliveries)
            .where(deliveries.c.delivery_id == delivery.delivery_id)
            .values(**values)
        )
        await self._add_steps(delivery.delivery_id, delivery.history)

    async def of_notifications(self, ids: list[UUID]) -> list[dict[str, Any]]:
        if not ids:
            return []
        stmt = (
            select(deliveries)
            .where(deliveries.c.notification_id.in_(ids))
            .order_by(deliveries.c.created_at, deliveries.c.channel)
        )
        return [dict(row._mapping) for row in await self._session.execute(stmt)]

    async def steps_of(self, ids: list[UUID]) -> list[dict[str, Any]]:
        if not ids:
            return []
        stmt = (
            select(delivery_steps)
            .where(delivery_steps.c.delivery_id.in_(ids))
            .order_by(delivery_steps.c.id)
        )
        return [dict(row._mapping) for row in await self._session.execute(stmt)]

    async def _add_steps(self, delivery_id: UUID, steps: list[Step]) -> None:
        if steps:
            await self._session.execute(
                delivery_steps.insert(),
                [dataclasses.asdict(s) | {"delivery_id": delivery_id} for s in steps],
            )


def _values(obj: object, names: list[str]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in names}


def _request(row: Any) -> NotificationRequest:
    fields = {f.name for f in dataclasses.fields(NotificationRequest)}
    values = {k: v for k, v in row.items() if k in fields}
    return NotificationRequest(**(values | {"channels": tuple(row["channels"])}))
