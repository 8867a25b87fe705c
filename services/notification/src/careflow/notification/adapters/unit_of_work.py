"""Notification's unit of work: the platform's (outbox, inbox in the same tx) plus repositories."""

from __future__ import annotations

from typing import Self

from careflow.notification.adapters.repository import SqlContacts, SqlDeliveries, SqlNotifications
from careflow.shared.db.unit_of_work import SqlUnitOfWork


class NotificationUnitOfWork(SqlUnitOfWork):
    """`async with uow:` gives `contacts`, `notifications`, `deliveries` on one transaction."""

    contacts: SqlContacts
    notifications: SqlNotifications
    deliveries: SqlDeliveries

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.contacts = SqlContacts(self.session)
        self.notifications = SqlNotifications(self.session)
        self.deliveries = SqlDeliveries(self.session)
        return self
