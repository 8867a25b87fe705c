"""An in-memory unit of work and telemetry for use-case tests (the ports in application/ports.py).

Changes apply at once and `commit` is counted: the tests look at what a use case
stored and whether it committed, not at isolation (the integration tests do that).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from uuid import UUID

from careflow.notification.domain.addressing import CaseAddress
from careflow.notification.domain.contacts import ResidentContact
from careflow.notification.domain.delivery import Delivery, Step
from careflow.notification.domain.history import DeliveryRecord, HistoryCursor, NotificationRecord
from careflow.notification.domain.notification import DECIDED, PARKED, NotificationRequest
from careflow.notification.domain.professional_access import shown_to
from careflow.shared.audit import AuditRecordOut


class FakeContacts:
    def __init__(self) -> None:
        self.rows: dict[UUID, ResidentContact] = {}

    async def get(self, resident_id, *, lock=False, share=False):  # type: ignore[no-untyped-def]
        return self.rows.get(resident_id)

    async def get_many(self, resident_ids):  # type: ignore[no-untyped-def]
        return {r: self.rows[r] for r in resident_ids if r in self.rows}

    async def lock_new(self, resident_id, *, share=False):  # type: ignore[no-untyped-def]
        return self.rows.setdefault(resident_id, ResidentContact(resident_id))

    async def save(self, contact: ResidentContact) -> None:
        self.rows[contact.resident_id] = contact


class FakeNotifications:
    def __init__(self) -> None:
        self.requests: dict[UUID, NotificationRequest] = {}
        self.status: dict[UUID, str] = {}

    async def add(self, request: NotificationRequest, status: str) -> bool:
        if request.notification_id in self.requests:
            return False
        self.requests[request.notification_id] = request
        self.status[request.notification_id] = status
        return True

    async def parked(self, resident_id: UUID) -> list[NotificationRequest]:
        return [
            r
            for r in self.requests.values()
            if r.resident_id == resident_id and self.status[r.notification_id] == PARKED
        ]

    async def parked_before(self, moment: datetime, limit: int) -> list[NotificationRequest]:
        waiting = [
            r
            for r in self.requests.values()
            if self.status[r.notification_id] == PARKED and r.received_at <= moment
        ]
        return sorted(waiting, key=lambda r: r.received_at)[:limit]

    async def mark_decided(self, notification_id: UUID) -> None:
        self.status[notification_id] = DECIDED

    async def of_resident(
        self, resident_id: UUID, limit: int, after: HistoryCursor | None = None
    ) -> list[NotificationRecord]:
        mine = [self.record(r) for r in self.requests.values() if r.resident_id == resident_id]
        return _history_page(mine, limit, after)

    def record(self, request: NotificationRequest) -> NotificationRecord:
        row = dataclasses.asdict(request) | {"status": self.status[request.notification_id]}
        return NotificationRecord.of_row(row)


class FakeDeliveries:
    def __init__(self) -> None:
        self.rows: dict[UUID, Delivery] = {}

    async def add(self, delivery: Delivery) -> None:
        await self.add_all([delivery])

    async def add_all(self, queued: list[Delivery]) -> None:
        for delivery in queued:
            self.rows.setdefault(delivery.delivery_id, delivery)

    async def claim_due(self, channel: str, now: datetime, limit: int = 1) -> list[Delivery]:
        due = [
            d
            for d in self.rows.values()
            if d.channel == channel and d.is_open and d.next_attempt_at <= now  # type: ignore[operator]
        ]
        return sorted(due, key=lambda d: d.next_attempt_at)[:limit]  # type: ignore[arg-type,return-value]

    async def next_due_at(self, channel: str) -> datetime | None:
        due = [d.next_attempt_at for d in self.rows.values() if d.channel == channel and d.is_open]
        return min(due) if due else None  # type: ignore[type-var]

    async def lease(self, claimed: list[Delivery], until: datetime) -> None:
        for delivery in claimed:
            delivery.next_attempt_at = until

    async def save_outcomes(self, sent: list[Delivery], now: datetime, **_: object) -> None:
        return None  # the claimed objects are the stored ones

    async def of_notifications(self, ids: list[UUID]) -> list[DeliveryRecord]:
        return [
            DeliveryRecord.of_row(vars(d)) for d in self.rows.values() if d.notification_id in ids
        ]

    async def steps_of(self, ids: list[UUID]) -> dict[UUID, list[Step]]:
        return {d.delivery_id: list(d.history) for d in self.rows.values() if d.delivery_id in ids}

    def of(self, notification_id: UUID) -> dict[str, Delivery]:
        """The notification's deliveries by channel."""
        return {d.channel: d for d in self.rows.values() if d.notification_id == notification_id}


class FakeCases:
    def __init__(self) -> None:
        self.organisation: dict[UUID, str] = {}
        self.resident: dict[UUID, UUID] = {}
        self.notifications: FakeNotifications | None = None
        self.addresses: dict[UUID, CaseAddress] = {}

    async def add(  # type: ignore[no-untyped-def]
        self, *, case_id, resident_id, organisation_id, opened_at, anonymous=False, guardian_id=None
    ):
        self.organisation.setdefault(case_id, organisation_id)
        self.resident.setdefault(case_id, resident_id)
        self.addresses.setdefault(
            case_id, CaseAddress(case_id, resident_id, anonymous, guardian_id)
        )

    async def address(self, case_id: UUID) -> CaseAddress | None:
        return self.addresses.get(case_id)

    async def has_history_in(self, resident_id: UUID, organisation_id: str) -> bool:
        assert self.notifications is not None
        guarded = {a.case_id for a in self.addresses.values() if a.guardian_id == resident_id}
        case_there = any(
            (self.resident[case] == resident_id or case in guarded) and org == organisation_id
            for case, org in self.organisation.items()
        )
        requested_there = any(
            r.resident_id == resident_id
            and r.case_id is None
            and r.organisation_id == organisation_id
            for r in self.notifications.requests.values()
        )
        return case_there or requested_there

    async def notifications_in(
        self,
        resident_id: UUID,
        organisation_id: str,
        limit: int,
        after: HistoryCursor | None = None,
    ) -> list[NotificationRecord]:
        assert self.notifications is not None
        found = await self.notifications.of_resident(resident_id, len(self.notifications.requests))
        requests = self.notifications.requests
        ours = [
            n
            for n in found
            if shown_to(
                organisation_id,
                case_id=n.case_id,
                case_organisation=self.organisation.get(n.case_id),  # type: ignore[arg-type]
                requested_for=requests[n.notification_id].organisation_id,
            )
        ]
        return _history_page(ours, limit, after)


class FakeAudit:
    def __init__(self) -> None:
        self.records: list[dict[str, Any]] = []

    async def record(self, **entry: Any) -> None:
        self.records.append(entry | {"id": len(self.records) + 1})

    async def page(self, organisation_id, query, *, resident_id=None):  # type: ignore[no-untyped-def]
        rows = [
            r
            for r in self.records
            if r["organisation_id"] == organisation_id
            and resident_id in (None, r["resident_id"])
            and (query.cursor is None or (r["at"], r["id"]) < (query.cursor.at, query.cursor.id))
        ]
        rows.sort(key=lambda r: (r["at"], r["id"]), reverse=True)
        return [
            AuditRecordOut.of(
                id=r["id"],
                service="notification",
                at=r["at"],
                actor=r["professional_id"],
                organisation=r["organisation_id"],
                unit=r["unit_id"],
                resident_id=r["resident_id"],
                case_id=None,
                action=r["action"],
                purpose=r["purpose"],
            )
            for r in rows[: query.limit + 1]
        ]


class FakeWithdrawals:
    def __init__(self, deliveries: FakeDeliveries) -> None:
        self.rows: dict[UUID, str] = {}
        self._deliveries = deliveries

    async def add(self, notification_id, reason, replaced_by, at):  # type: ignore[no-untyped-def]
        self.rows.setdefault(notification_id, reason)

    async def suppress_open(self, notification_id, reason, at):  # type: ignore[no-untyped-def]
        for delivery in self._deliveries.of(notification_id).values():
            if delivery.status in ("queued", "retrying"):
                delivery.status, delivery.reason, delivery.next_attempt_at = (
                    "suppressed",
                    reason,
                    None,
                )

    async def withdrawn(self, notification_id: UUID) -> bool:
        return notification_id in self.rows


class FakeUnitOfWork:
    def __init__(self) -> None:
        self.contacts = FakeContacts()
        self.notifications = FakeNotifications()
        self.deliveries = FakeDeliveries()
        self.cases = FakeCases()
        self.cases.notifications = self.notifications
        self.audit = FakeAudit()
        self.withdrawals = FakeWithdrawals(self.deliveries)
        self.commits = 0

    async def __aenter__(self) -> FakeUnitOfWork:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None

    async def commit(self) -> None:
        self.commits += 1


class FakeTelemetry:
    """Counts outcomes as (channel, outcome) pairs; attempts as (channel, result, code)."""

    def __init__(self) -> None:
        self.outcomes: list[tuple[str, str]] = []
        self.attempts: list[tuple[str, str, str | None]] = []

    def count(self, channel: str, outcome: str) -> None:
        self.outcomes.append((channel, outcome))

    @contextmanager
    def attempt(self, delivery: Delivery) -> Iterator[_Attempt]:
        yield _Attempt(self, delivery.channel)


class _Attempt:
    def __init__(self, telemetry: FakeTelemetry, channel: str) -> None:
        self._telemetry, self._channel = telemetry, channel

    def finish(self, result: str, status: str, code: str | None) -> None:
        self._telemetry.attempts.append((self._channel, result, code))


def _history_page(
    found: list[NotificationRecord], limit: int, after: HistoryCursor | None
) -> list[NotificationRecord]:
    """As the SQL keyset page: newest first by (received_at, id), limit + 1."""

    def key(n: NotificationRecord) -> tuple[datetime, UUID]:
        return (n.received_at, n.notification_id)

    if after is not None:
        found = [n for n in found if key(n) < (after.received_at, after.notification_id)]
    return sorted(found, key=key, reverse=True)[: limit + 1]


class OneStepSender:
    """A fake channel whose subclasses define `send(message)`; handed over in one step.
    `drops_repeats` as the SMS provider (True) or SMTP (False)."""

    drops_repeats = True

    async def prepare(self, message: Any) -> _Deferred:
        return _Deferred(self, message)


class _Deferred:
    def __init__(self, sender: Any, message: Any) -> None:
        self._sender = sender
        self._message = message
        self.abandoned = False

    async def complete(self) -> Any:
        return await self._sender.send(self._message)

    def abandon(self) -> None:
        self.abandoned = True
