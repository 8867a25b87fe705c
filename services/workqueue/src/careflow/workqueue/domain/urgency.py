"""Urgency as the queue item needs it: the scale's port, the change history, the due time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol


class UrgencyPolicy(Protocol):
    """An organisation's urgency scale as the queue needs it."""

    def rank(self, code: str | None) -> int:
        """Sort rank: lower is more urgent; no class sorts after every class."""
        ...

    def selectable(self, code: str) -> bool:
        """Whether a professional may set this class (it exists and is enabled)."""
        ...

    def immediate(self, code: str | None) -> bool:
        """Whether the class means "treat immediately" (P0): never waits in a queue."""
        ...

    def target(self, code: str | None) -> timedelta | None:
        """The class's target response time; None when it has none (no class, P8)."""
        ...


def response_due(submitted_at: datetime, target: timedelta | None) -> datetime | None:
    """When a professional should have responded: the class's target from submission."""
    return None if target is None else submitted_at + target


@dataclass(frozen=True)
class UrgencyChange:
    """One change of class; the history is never rewritten."""

    previous: str | None
    current: str
    reason_code: str
    explanation: str
    changed_by: str
    changed_at: datetime
