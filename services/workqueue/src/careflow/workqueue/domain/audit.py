"""Audit of professionals' reads of residents' data (domain.md "Actors and roles")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from careflow.workqueue.domain.errors import InvalidRequest


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
    #: The log's own order among records of the same instant; set once stored.
    seq: int | None = None


@dataclass(frozen=True)
class AuditPosition:
    """Where a page of the log ended: the next page starts strictly after it."""

    at: datetime
    seq: int


@dataclass(frozen=True)
class AuditQuery:
    """One page of an organisation's audit log within [since, until), newest first.

    Pages are keyed by position, not offset: records keep arriving at the head of
    the log, and an offset would then repeat records on the next page.
    """

    organisation_id: str
    resident_id: UUID | None = None
    case_id: UUID | None = None
    professional_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    after: AuditPosition | None = None
    limit: int = 50

    def __post_init__(self) -> None:
        for bound in (self.since, self.until):
            if bound is not None and bound.utcoffset() is None:
                raise InvalidRequest("time bounds need a time zone")
        if self.since and self.until and self.since > self.until:
            raise InvalidRequest("`from` is after `to`")
        if not 1 <= self.limit <= MAX_AUDIT_PAGE:
            raise InvalidRequest(f"limit must be 1..{MAX_AUDIT_PAGE}")


MAX_AUDIT_PAGE = 500


def next_position(records: list[AuditRecord], limit: int) -> AuditPosition | None:
    """Where the next page starts; None when this page was the last."""
    if len(records) < limit or records[-1].seq is None:
        return None
    return AuditPosition(records[-1].at, records[-1].seq)
