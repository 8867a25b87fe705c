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
    """Who read which resident's data in which case, when, how and why."""

    organisation_id: str
    professional_id: str
    resident_id: UUID
    case_id: UUID
    action: AuditAction
    at: datetime
    #: Why the data was shown: one of the shared audit contract's purposes, chosen by
    #: the use case (the domain does not know the contract).
    purpose: str
