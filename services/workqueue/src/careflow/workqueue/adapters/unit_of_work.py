"""The work queue's unit of work: the platform's (outbox in the same tx) plus repositories."""

from __future__ import annotations

from typing import Self

from careflow.shared.outbox.unit_of_work import SqlUnitOfWork
from careflow.workqueue.adapters.repository import (
    SqlAuditLog,
    SqlItemRepository,
    SqlResidentNames,
)


class WorkqueueUnitOfWork(SqlUnitOfWork):
    """`async with uow:` gives `items`, `audit`, `names` and `outbox` on one transaction."""

    items: SqlItemRepository
    audit: SqlAuditLog
    names: SqlResidentNames

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.items = SqlItemRepository(self.session, self.writes)
        self.audit = SqlAuditLog(self.session)
        self.names = SqlResidentNames(self.session)
        return self
