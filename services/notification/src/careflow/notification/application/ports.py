"""What the use cases need from the outside: stores, a unit of work, rendering, sending,
telemetry. Adapters implement these; unit tests pass fakes."""

from __future__ import annotations

from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, Self
from uuid import UUID

from careflow.notification.domain.addressing import CaseAddress
from careflow.notification.domain.contacts import ResidentContact
from careflow.notification.domain.delivery import Delivery, Step
from careflow.notification.domain.history import (
    DeliveryRecord,
    HistoryCursor,
    NotificationRecord,
)
from careflow.notification.domain.message import OutgoingMessage, Rendered
from careflow.notification.domain.notification import NotificationRequest
from careflow.shared.audit import AuditQuery, AuditRecordOut

__all__ = [
    "AccessAudit",
    "ChannelSender",
    "Clock",
    "ContactStore",
    "DeliveryStore",
    "DeliveryTelemetry",
    "Handover",
    "Links",
    "NotificationStore",
    "OutgoingMessage",
    "Rendered",
    "Renderer",
    "ResidentCases",
    "SendAttempt",
    "UnitOfWork",
]


class Renderer(Protocol):
    def render(
        self,
        purpose: str,
        language: str,
        channel: str,
        *,
        link: str,
        deadline: str | None = None,
    ) -> Rendered: ...


class Handover(Protocol):
    """A message made ready to send; `complete` is the one step after which the provider
    may hold it (SMTP: DATA; an HTTP provider: the request)."""

    async def complete(self) -> str | None:
        """Raises TransientSendError / PermanentSendError; returns the provider's reference."""
        ...

    def abandon(self) -> None:
        """Never completed (the pass was cancelled): release what `prepare` took."""
        ...


class ChannelSender(Protocol):
    """Sends in two steps so that the use case decides what runs around the last one.

    `drops_repeats`: the provider sends a repeated message once (an idempotency key), so
    handovers need not wait for each other's outcomes to commit.
    """

    drops_repeats: bool

    async def prepare(self, message: OutgoingMessage) -> Handover:
        """Everything before the provider can hold the message (for SMTP: connect,
        envelope, DATA and the body, all but the final dot);
        raises TransientSendError / PermanentSendError."""
        ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


class ContactStore(Protocol):
    """The residents' contact projection."""

    async def get(
        self, resident_id: UUID, *, lock: bool = False, share: bool = False
    ) -> ResidentContact | None: ...
    async def get_many(self, resident_ids: set[UUID]) -> dict[UUID, ResidentContact]: ...
    async def lock_new(self, resident_id: UUID, *, share: bool = False) -> ResidentContact: ...
    async def save(self, contact: ResidentContact) -> None: ...


class NotificationStore(Protocol):
    """Notification requests, each recorded once; parked until the resident is known."""

    async def add(self, request: NotificationRequest, status: str) -> bool: ...
    async def parked(self, resident_id: UUID) -> list[NotificationRequest]: ...
    async def parked_before(self, moment: datetime, limit: int) -> list[NotificationRequest]: ...
    async def mark_decided(self, notification_id: UUID) -> None: ...
    async def of_resident(
        self, resident_id: UUID, limit: int, after: HistoryCursor | None = None
    ) -> list[NotificationRecord]:
        """Up to `limit + 1` of the resident's notifications strictly after `after`, newest
        first by (`received_at`, `notification_id`), without their deliveries."""


class DeliveryStore(Protocol):
    """Deliveries and their steps; due ones are claimed locked, skipped by other senders."""

    async def add(self, delivery: Delivery) -> None: ...
    async def add_all(self, queued: list[Delivery]) -> None: ...
    async def claim_due(self, channel: str, now: datetime, limit: int = 1) -> list[Delivery]: ...
    async def next_due_at(self, channel: str) -> datetime | None: ...
    async def lease(self, claimed: list[Delivery], until: datetime) -> None:
        """Moves the claimed deliveries' next attempt to `until`: taken, but due again if
        their pass dies before recording an outcome."""

    async def save_outcomes(
        self, sent: list[Delivery], now: datetime, *, alone: bool = False
    ) -> None:
        """`alone`: one delivery, committed at once in one round trip that need not wait
        for the disk, the unit of work's first and only statement (see application.send)."""

    async def of_notifications(self, ids: list[UUID]) -> list[DeliveryRecord]:
        """The notifications' deliveries, oldest first, without their steps."""

    async def steps_of(self, ids: list[UUID]) -> dict[UUID, list[Step]]:
        """Each delivery's steps in the order they happened."""


class OutcomeLog(Protocol):
    """Records one delivery's outcome at once, as `DeliveryStore.save_outcomes(alone=True)`
    does, on connections of its own: no unit of work's session and pool round for each
    message (the email handover line waits on it, one message at a time)."""

    async def record(self, delivery: Delivery, now: datetime) -> None: ...
    async def close(self) -> None: ...


class ResidentCases(Protocol):
    """Which organisation each resident's case belongs to, and what its professionals see."""

    async def add(
        self,
        *,
        case_id: UUID,
        resident_id: UUID,
        organisation_id: str,
        opened_at: datetime,
        anonymous: bool = False,
        guardian_id: UUID | None = None,
    ) -> None: ...
    async def address(self, case_id: UUID) -> CaseAddress | None: ...
    async def has_history_in(self, resident_id: UUID, organisation_id: str) -> bool:
        """Whether the organisation's professionals may read the resident's history: a case
        there (the resident's or a ward's, as guardian) or a notification without a case
        it requested for them."""

    async def notifications_in(
        self,
        resident_id: UUID,
        organisation_id: str,
        limit: int,
        after: HistoryCursor | None = None,
    ) -> list[NotificationRecord]:
        """Up to `limit + 1` of the resident's notifications shown to the organisation
        (domain/professional_access.py), strictly after `after`, in the order of
        `NotificationStore.of_resident`."""


class AccessAudit(Protocol):
    """Professionals' reads of a resident's communication history."""

    async def record(self, **entry: Any) -> None: ...
    async def page(
        self, organisation_id: str, query: AuditQuery, *, resident_id: UUID | None = None
    ) -> list[AuditRecordOut]:
        """Up to `query.limit + 1` records of the organisation, newest first."""


class Withdrawals(Protocol):
    """Requests their requester withdrew before they were sent."""

    async def add(
        self, notification_id: UUID, reason: str, replaced_by: UUID | None, at: datetime
    ) -> None: ...
    async def suppress_open(self, notification_id: UUID, reason: str, at: datetime) -> None:
        """Its deliveries not sent yet become suppressed with `reason`."""

    async def withdrawn(self, notification_id: UUID) -> bool: ...


class UnitOfWork(Protocol):
    """`async with uow:` gives the stores on one transaction; nothing is kept without commit."""

    contacts: ContactStore
    notifications: NotificationStore
    deliveries: DeliveryStore
    cases: ResidentCases
    audit: AccessAudit
    withdrawals: Withdrawals

    async def __aenter__(self) -> Self: ...
    async def __aexit__(self, *exc: object) -> None: ...
    async def commit(self) -> None: ...


class SendAttempt(Protocol):
    def finish(self, result: str, status: str, code: str | None) -> None:
        """`result`: sent, transient_error or permanent_error; `code` a non-personal label."""


class DeliveryTelemetry(Protocol):
    """Outcome counts and send attempts, by channel and code: never an address or a text."""

    def count(self, channel: str, outcome: str) -> None:
        """A delivery reached `outcome` (queued, sent, retrying, failed, suppressed)."""

    def attempt(self, delivery: Delivery) -> AbstractContextManager[SendAttempt]:
        """Times one send attempt (and traces it); finished with its result."""


@dataclass(frozen=True)
class Links:
    """Links in notifications: to the login page of the resident's services, never content."""

    base_url: str
    professional_base_url: str

    def for_target(self, target: str, case_id: UUID | None) -> str:
        base = self.base_url.rstrip("/")
        if target == "case" and case_id is not None:
            return f"{base}/cases/{case_id}"
        if target in ("messages", "reminders"):
            return f"{base}/{target}"
        return base + "/"

    def for_chat(self, chat_id: UUID) -> str:
        return f"{self.professional_base_url.rstrip('/')}/chats/{chat_id}"
