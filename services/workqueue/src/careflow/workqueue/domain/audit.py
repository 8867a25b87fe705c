"""Audit of professionals' reads of residents' data (domain.md "Actors and roles")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID


class AuditAction(StrEnum):
    """What the professional did when the resident's data was shown to them."""

    LIST = "list_queue"
    OPEN = "open_task"
    TAKE = "take_task"
    TRANSFER = "transfer_task"
    CHANGE_URGENCY = "change_urgency"
    MARK_INCOMPLETE = "mark_incomplete"


@dataclass(frozen=True)
class AuditRecord:
    """Who read which resident's data in which case, when and how."""

    organisation_id: str
    professional_id: str
    resident_id: UUID
    case_id: UUID
    action: AuditAction
    at: datetime


@dataclass(frozen=True)
class AuditQuery:
    organisation_id: str
    resident_id: UUID | None = None
    case_id: UUID | None = None
    professional_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    limit: int = 50
    offset: int = 0
