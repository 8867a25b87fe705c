"""Domain events the queue item appends; application/outgoing.py maps them to contracts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class ItemAdded:
    case_id: UUID
    at: datetime


@dataclass(frozen=True)
class ItemTaken:
    case_id: UUID
    professional_id: str
    at: datetime


@dataclass(frozen=True)
class ItemTransferred:
    case_id: UUID
    transferred_by: str
    to_professional_id: str | None
    to_group_id: str | None
    at: datetime


@dataclass(frozen=True)
class UrgencyChanged:
    case_id: UUID
    original: str | None
    previous: str | None
    current: str
    reason_code: str
    changed_by: str
    at: datetime


@dataclass(frozen=True)
class ItemMarkedIncomplete:
    case_id: UUID
    resident_id: UUID
    marked_by: str
    at: datetime


@dataclass(frozen=True)
class IncompleteCleared:
    case_id: UUID
    cause: str
    at: datetime


@dataclass(frozen=True)
class ItemRemoved:
    case_id: UUID
    at: datetime


@dataclass(frozen=True)
class ItemClosed:
    case_id: UUID
    reason: str
    at: datetime


DomainEvent = (
    ItemAdded
    | ItemTaken
    | ItemTransferred
    | UrgencyChanged
    | ItemMarkedIncomplete
    | IncompleteCleared
    | ItemRemoved
    | ItemClosed
)
