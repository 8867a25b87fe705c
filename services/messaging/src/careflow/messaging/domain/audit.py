"""Audit of professionals' reads of residents' data (domain.md "Actors and roles")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID


@dataclass(frozen=True)
class AuditRecord:
    """Who read which resident's data in which case, when, how and why.

    `action` is a short code the use case chooses (e.g. `read_case_messages`);
    `purpose` one of the shared audit contract's purposes.
    """

    organisation_id: str
    professional_id: str
    unit_id: str | None
    resident_id: UUID
    case_id: UUID | None  # None: a chat that names no case
    action: str
    at: datetime
    purpose: str
