"""How the queue is listed: filters, the sort order and pages — as pure data."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

from careflow.workqueue.domain.errors import InvalidRequest
from careflow.workqueue.domain.model import DEFAULT_VIEW, QueueItem, Status

MAX_PAGE = 100


@dataclass(frozen=True)
class QueueQuery:
    """One view of an organisation's queue. Empty sets mean "any"."""

    organisation_id: str
    groups: frozenset[str] = frozenset()
    case_kinds: frozenset[str] = frozenset()
    urgencies: frozenset[str] = frozenset()
    statuses: frozenset[Status] = field(default_factory=lambda: DEFAULT_VIEW)
    assignee: str | None = None
    languages: frozenset[str] = frozenset()
    min_age: timedelta | None = None
    max_age: timedelta | None = None
    limit: int = 50
    offset: int = 0

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_PAGE:
            raise InvalidRequest(f"limit must be 1..{MAX_PAGE}")
        if self.offset < 0:
            raise InvalidRequest("offset must not be negative")
        if Status.REMOVED in self.statuses:
            raise InvalidRequest("removed items are never listed")

    @property
    def closed_view(self) -> bool:
        return self.statuses == frozenset({Status.CLOSED})

    def submitted_bounds(self, now: datetime) -> tuple[datetime | None, datetime | None]:
        """(submitted no later than, submitted no earlier than) for the age filter."""
        latest = now - self.min_age if self.min_age is not None else None
        earliest = now - self.max_age if self.max_age is not None else None
        return latest, earliest

    def matches(self, item: QueueItem, now: datetime) -> bool:
        """The filter as a predicate; the repository runs the same rules in SQL."""
        if not item.visible_to(self.organisation_id) or item.status not in self.statuses:
            return False
        if self.groups and item.group_id not in self.groups and not pinned(item):
            return False
        latest, earliest = self.submitted_bounds(now)
        return (
            (not self.case_kinds or item.case_kind in self.case_kinds)
            and (not self.urgencies or item.urgency in self.urgencies)
            and (self.assignee is None or item.assignee == self.assignee)
            and (not self.languages or item.language in self.languages)
            and (latest is None or item.submitted_at <= latest)
            and (earliest is None or item.submitted_at >= earliest)
        )


def pinned(item: QueueItem) -> bool:
    """An emergency record (P0) shows in every group queue of its organisation; its
    rank sorts it first."""
    return item.status is Status.EMERGENCY


def sort_key(
    item: QueueItem, names: Mapping[UUID, str | None] | None = None
) -> tuple[int, datetime, bool, str, UUID]:
    """Most urgent first (no class after P8), then oldest submission, then the resident's
    name (from intake's restricted names topic; unknown names last), then case id, which
    keeps the order total and stable."""
    name = (names or {}).get(item.resident_id)
    return (
        item.urgency_rank,
        item.submitted_at,
        name is None,
        (name or "").casefold(),
        item.case_id,
    )


def closed_sort_key(item: QueueItem) -> tuple[float, UUID]:
    """The closed queue: most recently closed first."""
    closed = item.closed_at.timestamp() if item.closed_at else 0.0
    return (-closed, item.case_id)


def select(
    items: Iterable[QueueItem],
    query: QueueQuery,
    now: datetime,
    names: Mapping[UUID, str | None] | None = None,
) -> list[QueueItem]:
    """Filter, sort and page in memory (fakes and tests; SQL does the same in production)."""
    chosen = [item for item in items if query.matches(item, now)]
    if query.closed_view:
        chosen.sort(key=closed_sort_key)
    else:
        chosen.sort(key=lambda item: sort_key(item, names))
    return chosen[query.offset : query.offset + query.limit]
