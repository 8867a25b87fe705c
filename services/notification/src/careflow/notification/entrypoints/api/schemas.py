"""HTTP schemas of the communication history (not contract models, not tables), each made
from the use cases' records by `of`."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from pydantic import BaseModel, Field

from careflow.notification.domain.delivery import Step
from careflow.notification.domain.history import DeliveryRecord, HistoryPage, NotificationRecord


class StepOut(BaseModel):
    status: str
    code: str | None
    attempt: int
    at: datetime

    @classmethod
    def of(cls, step: Step) -> StepOut:
        return cls(status=step.status, code=step.code, attempt=step.attempt, at=step.at)


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

    @classmethod
    def of(cls, d: DeliveryRecord) -> DeliveryOut:
        return cls(
            delivery_id=d.delivery_id,
            channel=d.channel,
            status=d.status,
            reason=d.reason,
            attempts=d.attempts,
            subject=d.subject,
            body=d.body,
            created_at=d.created_at,
            sent_at=d.sent_at,
            next_attempt_at=d.next_attempt_at,
            steps=[StepOut.of(s) for s in d.steps],
        )


class NotificationOut(BaseModel):
    notification_id: UUID
    purpose: str
    case_id: UUID | None
    status: str
    received_at: datetime
    deliveries: list[DeliveryOut]

    @classmethod
    def of(cls, n: NotificationRecord) -> NotificationOut:
        return cls(
            notification_id=n.notification_id,
            purpose=n.purpose,
            case_id=n.case_id,
            status=n.status,
            received_at=n.received_at,
            deliveries=[DeliveryOut.of(d) for d in n.deliveries],
        )


class HistoryOut(BaseModel):
    """One page of a history, newest first."""

    resident_id: UUID
    items: list[NotificationOut]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last page."
    )

    @classmethod
    def of(cls, resident_id: UUID, page: HistoryPage) -> HistoryOut:
        return cls(
            resident_id=resident_id,
            items=[NotificationOut.of(n) for n in page.items],
            next_cursor=page.next_cursor,
        )
