"""How long an event about an unknown case may wait for it (pure: no I/O, no clock of its own)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID


@dataclass(frozen=True)
class ParkedEvent:
    """One parked event with its CloudEvents envelope, enough to apply or dead-letter it."""

    case_id: UUID
    topic: str
    consumer: str  # the consumer group whose inbox holds the event id
    event_id: str
    event_type: str
    source: str
    occurred_at: datetime
    payload: dict[str, Any]
    parked_at: datetime
    id: int | None = None


@dataclass(frozen=True)
class ParkingRules:
    """An event parked at `parked_at` waits until `parked_at + timeout`, then is given up on.

    Giving up never drops it: the caller dead-letters it with the reason, so it
    can be replayed once someone has found out why its case is missing.
    """

    timeout: timedelta

    def __post_init__(self) -> None:
        if self.timeout <= timedelta(0):
            raise ValueError("the parking timeout must be positive")

    def gives_up_at(self, parked_at: datetime) -> datetime:
        return parked_at + self.timeout

    def expired(self, parked_at: datetime, now: datetime) -> bool:
        """True from the deadline on (the deadline itself included)."""
        return now >= self.gives_up_at(parked_at)

    def cutoff(self, now: datetime) -> datetime:
        """Events parked at or before this instant have expired at `now`."""
        return now - self.timeout

    def reason(self) -> str:
        """The dead letter's reason: no ids, no content."""
        return f"case unknown to intake for {self.timeout.total_seconds():.0f} s after parking"
