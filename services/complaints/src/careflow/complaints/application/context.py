"""What the use cases share: units of work, the clock, the due-date policy and the
two outside systems (the e-services directory, clinics' own case systems)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from careflow.complaints.application.ports import CaseSystem, Directory, UnitOfWork
from careflow.complaints.domain.cases import DuePolicy
from careflow.complaints.domain.delivery import Backoff


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Context:
    uow: Callable[[], UnitOfWork]
    directory: Directory
    case_system: CaseSystem
    due: DuePolicy = field(default_factory=DuePolicy)
    clock: Callable[[], datetime] = utc_now
    directory_batch: int = 1000
    backoff: Backoff = field(default_factory=Backoff)
