"""HTTP schemas of the communication history (not contract models, not tables)."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel


class StepOut(BaseModel):
    status: str
    code: str | None
    attempt: int
    at: datetime


class DeliveryOut(BaseModel):
    delivery_id: UUID
    channel: str
    status: str
    reason: str | None
    attempts: int
    subject: str | None
    body: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    steps: list[StepOut]


class NotificationOut(BaseModel):
    notification_id: UUID
    purpose: str
    case_id: UUID | None
    status: str
    received_at: datetime
    deliveries: list[DeliveryOut]


class HistoryOut(BaseModel):
    resident_id: UUID
    items: list[NotificationOut]
