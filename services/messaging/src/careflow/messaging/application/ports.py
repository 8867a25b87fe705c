"""What use cases need from the outside world; adapters and test fakes provide it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, Self
from uuid import UUID

from careflow.contracts.base import ContractEvent
from careflow.messaging.domain.audit import AuditRecord
from careflow.messaging.domain.messages import CaseFacts, Message, ReadState, Side
from careflow.shared.audit import AuditQuery, AuditRecordOut


class MessageCaseStore(Protocol):
    """The cases messaging learned from intake's events."""

    async def get(self, case_id: UUID, *, for_update: bool = False) -> CaseFacts | None: ...
    async def save(self, facts: CaseFacts) -> None:
        """Inserts or replaces the case's facts."""
        ...


class MessageStore(Protocol):
    """Case messages and each side's read state."""

    async def add(self, message: Message) -> Message:
        """Stores the message; returns it with its `seq`."""
        ...

    async def page(self, case_id: UUID, *, before_seq: int | None, limit: int) -> list[Message]:
        """Up to `limit` messages of the case, newest first, older than `before_seq`."""
        ...

    async def sent_since(self, author_id: str, since: datetime, *, limit: int) -> list[datetime]:
        """The author's latest `limit` send times after `since`, oldest first."""
        ...

    async def latest_seq(self, case_id: UUID) -> int: ...
    async def read_state(self, case_id: UUID, side: Side) -> ReadState: ...
    async def mark_read(self, state: ReadState) -> None:
        """Moves the side's mark forward (never back)."""
        ...

    async def unread(self, case_id: UUID, reader: Side) -> int:
        """Messages of the other side after the reader side's mark."""
        ...


class AuditLog(Protocol):
    async def record(self, records: list[AuditRecord]) -> None: ...
    async def page(
        self,
        organisation_id: str,
        query: AuditQuery,
        *,
        resident_id: UUID | None = None,
        case_id: UUID | None = None,
        professional_id: str | None = None,
    ) -> list[AuditRecordOut]:
        """Up to `query.limit + 1` records of the organisation, newest first, after
        the query's cursor (the shared keyset page; `page_of` trims the extra one)."""
        ...


class EventOutbox(Protocol):
    def add(self, event: ContractEvent, *, occurred_at: datetime | None = None) -> str: ...


class UnitOfWork(Protocol):
    cases: MessageCaseStore
    messages: MessageStore
    audit: AuditLog
    outbox: EventOutbox

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...


@dataclass(frozen=True)
class Professional:
    """The professional a use case runs for (from their token)."""

    professional_id: str
    organisation_id: str
    unit_id: str | None = None


@dataclass(frozen=True)
class Resident:
    """The resident a use case runs for: their pseudonymous id and the children they
    act for as guardian (pseudonymous ids too)."""

    resident_id: UUID
    children: frozenset[UUID] = frozenset()
