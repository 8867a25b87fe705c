"""Notification's unit of work: the platform's (outbox, inbox in the same tx) plus repositories."""

from __future__ import annotations

from typing import Self

from careflow.notification.adapters.access import SqlAuditLog, SqlResidentCases
from careflow.notification.adapters.repository import (
    SqlContacts,
    SqlDeliveries,
    SqlNotifications,
    SqlWithdrawals,
)
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork


class NotificationUnitOfWork(SqlUnitOfWork):
    """`async with uow:` gives the repositories below on one transaction."""

    contacts: SqlContacts
    notifications: SqlNotifications
    deliveries: SqlDeliveries
    cases: SqlResidentCases
    audit: SqlAuditLog
    withdrawals: SqlWithdrawals

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.contacts = SqlContacts(self.session)
        self.notifications = SqlNotifications(self.session)
        self.deliveries = SqlDeliveries(self.session)
        self.cases = SqlResidentCases(self.session)
        self.audit = SqlAuditLog(self.session)
        self.withdrawals = SqlWithdrawals(self.session)
        return self
