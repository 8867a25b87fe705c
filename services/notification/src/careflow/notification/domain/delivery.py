"""One message on one channel, and every step of its life.

queued → sent | retrying → … → sent | failed; or suppressed (consents) at any
point before it is sent. Each step is appended to `history` (kept for the
resident's communication tab); nothing is ever deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from uuid import UUID

QUEUED, RETRYING, SENT, FAILED, SUPPRESSED = "queued", "retrying", "sent", "failed", "suppressed"
OPEN = (QUEUED, RETRYING)
DETAILS_PENDING = "contact_details_pending"


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff, then give up after `give_up_after` since the message was queued."""

    initial: timedelta = timedelta(seconds=5)
    maximum: timedelta = timedelta(minutes=10)
    give_up_after: timedelta = timedelta(hours=24)

    def delay(self, attempts: int) -> timedelta:
        return min(self.initial * (2 ** max(attempts - 1, 0)), self.maximum)


@dataclass(frozen=True)
class Step:
    """One recorded step: a status, its reason or error code, the attempt number."""

    status: str
    at: datetime
    code: str | None = None
    attempt: int = 0


@dataclass
class Delivery:
    delivery_id: UUID
    notification_id: UUID
    channel: str
    created_at: datetime
    resident_id: UUID | None = None
    recipient: str | None = None  # professionals only; residents' addresses stay in the projection
    subject: str | None = None
    body: str = ""
    status: str = QUEUED
    reason: str | None = None
    attempts: int = 0
    next_attempt_at: datetime | None = None
    sent_at: datetime | None = None
    provider_ref: str | None = None
    history: list[Step] = field(default_factory=list)

    @classmethod
    def queue(cls, *, not_before: datetime | None = None, **fields: object) -> Delivery:
        delivery = cls(**fields)  # type: ignore[arg-type]
        start = delivery.created_at
        delivery.next_attempt_at = max(start, not_before) if not_before else start
        delivery.history.append(Step(QUEUED, start))
        return delivery

    @classmethod
    def suppressed(cls, reason: str, **fields: object) -> Delivery:
        delivery = cls(**fields)  # type: ignore[arg-type]
        delivery.suppress(reason, delivery.created_at)
        return delivery

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    def suppress(self, reason: str, now: datetime) -> None:
        self._close(SUPPRESSED, reason, now)

    def mark_sent(self, now: datetime, provider_ref: str | None) -> None:
        self.attempts += 1
        self.sent_at = now
        self.provider_ref = provider_ref
        self._close(SENT, None, now)

    def fail(self, code: str, now: datetime) -> None:
        """A permanent failure: recorded, never retried."""
        self.attempts += 1
        self._close(FAILED, code, now)

    def retry_later(self, code: str, now: datetime, policy: RetryPolicy) -> None:
        """A transient failure: try again after the backoff, or give up when it is too late."""
        if code != DETAILS_PENDING:
            self.attempts += 1
        if now - self.created_at >= policy.give_up_after:
            self._close(FAILED, f"gave_up:{code}", now)
            return
        self.status = RETRYING
        self.reason = code
        self.next_attempt_at = now + policy.delay(max(self.attempts, 1))
        self.history.append(Step(RETRYING, now, code, self.attempts))

    def _close(self, status: str, code: str | None, now: datetime) -> None:
        self.status = status
        self.reason = code
        self.next_attempt_at = None
        self.history.append(Step(status, now, code, self.attempts))
