"""What the communication history shows: each notification with its deliveries and their
steps. Read views, never the delivery itself: no address or provider reference is here."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any, Self
from uuid import UUID

from careflow.notification.domain.delivery import Step


@dataclass(frozen=True)
class DeliveryRecord:
    """One channel's delivery of a notification, as the history shows it."""

    delivery_id: UUID
    notification_id: UUID
    channel: str
    status: str
    reason: str | None
    attempts: int
    subject: str | None
    body: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    steps: tuple[Step, ...] = ()

    @classmethod
    def of_row(cls, row: Any) -> Self:
        """From a stored row (a mapping); other columns (addresses among them) are left out."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name != "steps"})


@dataclass(frozen=True)
class NotificationRecord:
    """One notification: parked (no deliveries yet) or decided."""

    notification_id: UUID
    purpose: str
    case_id: UUID | None
    status: str
    received_at: datetime
    deliveries: tuple[DeliveryRecord, ...] = ()

    @classmethod
    def of_row(cls, row: Any) -> Self:
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name != "deliveries"})
