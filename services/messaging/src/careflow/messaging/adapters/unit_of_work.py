"""Messaging's unit of work: the platform's (outbox in the same tx) plus repositories."""

from __future__ import annotations

from typing import Self

from careflow.messaging.adapters.audit import SqlAuditLog
from careflow.messaging.adapters.message_repository import SqlCaseMessages, SqlMessageCases
from careflow.shared.outbox.unit_of_work import SqlUnitOfWork


class MessagingUnitOfWork(SqlUnitOfWork):
    """`async with uow:` gives `cases`, `messages`, `audit` and `outbox` on one transaction."""

    cases: SqlMessageCases
    messages: SqlCaseMessages
    audit: SqlAuditLog

    async def __aenter__(self) -> Self:
        await super().__aenter__()
        self.cases = SqlMessageCases(self.session)
        self.messages = SqlCaseMessages(self.session)
        self.audit = SqlAuditLog(self.session)
        return self
