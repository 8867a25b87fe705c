"""The reminders unit of work: the platform's (outbox in the same tx) plus repositories."""

from __future__ import annotations

from typing import Self

from careflow.reminders.adapters.catalogue import SqlAuditLog, SqlCatalogue
from careflow.reminders.adapters.projections import SqlProjections
from careflow.reminders.adapters.repository import SqlReminders, SqlSendQueue
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork


class RemindersUnitOfWork(SqlUnitOfWork):
    """`async with uow:` gives the repositories and `outbox` on one transaction."""

    reminders: SqlReminders
    sends: SqlSendQueue
    projections: SqlProjections
    catalogue: SqlCatalogue
    audit: SqlAuditLog

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.reminders = SqlReminders(self.session)
        self.sends = SqlSendQueue(self.session)
        self.projections = SqlProjections(self.session)
        self.catalogue = SqlCatalogue(self.session)
        self.audit = SqlAuditLog(self.session)
        return self
