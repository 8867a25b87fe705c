"""What use cases need from the outside world; adapters and test fakes provide it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self
from uuid import UUID

from careflow.contracts.base import ContractEvent
from careflow.shared.audit import AuditQuery, AuditRecordOut
from careflow.workqueue.domain.audit import AuditRecord
from careflow.workqueue.domain.model import QueueItem
from careflow.workqueue.domain.ordering import QueueQuery
from careflow.workqueue.domain.urgency import UrgencyPolicy


class ItemStore(Protocol):
    async def get(self, case_id: UUID, *, for_update: bool = False) -> QueueItem | None: ...
    async def add(self, item: QueueItem) -> None: ...
    async def update(self, item: QueueItem) -> None: ...
    async def list(self, query: QueueQuery, now: datetime) -> tuple[list[QueueItem], int]: ...
    async def park(
        self, case_id: UUID, event_id: str, event_type: str, payload: dict[str, Any], at: datetime
    ) -> None: ...
    async def get_or_parked(
        self, case_id: UUID
    ) -> tuple[QueueItem | None, list[tuple[str, dict[str, Any]]]]:
        """The item; with none, the (event_type, payload) parked for its case, oldest
        first, removed with the commit."""
        ...

    async def purge_closed(self, closed_no_later_than: datetime, *, limit: int) -> int: ...
    async def count_overdue(self, now: datetime) -> dict[tuple[str, str], int]: ...
    async def free_by_urgency(
        self, now: datetime
    ) -> dict[tuple[str, str], tuple[int, float | None]]: ...


class UrgencyPolicies(Protocol):
    def for_organisation(self, organisation_id: str) -> UrgencyPolicy:
        """The policy of the scale the organisation uses (the default if it has none)."""
        ...


class ResidentNames(Protocol):
    async def note(self, resident_id: UUID, name: str | None, changed_at: datetime) -> None: ...


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
    items: ItemStore
    audit: AuditLog
    names: ResidentNames
    outbox: EventOutbox

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...


@dataclass(frozen=True)
class Actor:
    """The professional a command or query runs for (from their token)."""

    professional_id: str
    organisation_id: str
    is_admin: bool = False
