"""Handing cases to clinics' own case-handling systems (the integration)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID


@dataclass(frozen=True)
class Endpoint:
    """A clinic's own system, from the service addressing catalogue."""

    hsa_id: str
    url: str
    #: The token subject that system calls back with (status reports).
    system_id: str


@dataclass(frozen=True)
class DeliveryJob:
    case_id: UUID
    url: str
    attempts: int


class DeliveryFailed(Exception):
    """The clinic's system did not take the case; `code` is a short, non-personal label."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Backoff:
    """Doubling waits between attempts, capped; a delivery is never given up (the case
    must reach its one handling place)."""

    initial_seconds: float = 2.0
    max_seconds: float = 600.0

    def next_attempt(self, now: datetime, attempts: int) -> datetime:
        delay = min(self.max_seconds, self.initial_seconds * 2 ** (attempts - 1))
        return now + timedelta(seconds=delay)


@dataclass(frozen=True)
class CaseQuery:
    """Which cases a staff list shows."""

    region_code: str
    place_hsa_id: str
    #: Handlers: only cases given to this subject or these groups (None: every case of the place).
    handler_id: str | None = None
    groups: Collection[UUID] = ()
    overdue_at: datetime | None = None
    status: str | None = None
    limit: int = 100
