"""A request its requester withdrew is not sent; a replacement is sent on its own."""

from __future__ import annotations

import uuid

import pytest

from careflow.contracts.notifications import NotificationRequested
from careflow.contracts.reminders import NotificationWithdrawn
from careflow.notification.adapters.templates import JinjaRenderer
from careflow.notification.application import notify
from careflow.notification.application.context import Notifier

from .builders import LINKS, NOW, contact
from .fakes import FakeTelemetry, FakeUnitOfWork


@pytest.fixture
def notifier(renderer: JinjaRenderer) -> Notifier:
    return Notifier(renderer=renderer, links=LINKS, telemetry=FakeTelemetry(), clock=lambda: NOW)


def reminder(resident_id: uuid.UUID) -> NotificationRequested:
    return NotificationRequested(
        notification_id=uuid.uuid4(),
        requested_by="reminders",
        requested_at=NOW,
        resident_id=resident_id,
        purpose="appointment_reminder",
        channels=["email", "sms"],
        link_target="reminders",
    )


def withdrawn(
    request: NotificationRequested, replaced_by: uuid.UUID | None = None
) -> NotificationWithdrawn:
    return NotificationWithdrawn(
        notification_id=request.notification_id,
        reason="appointment_moved",
        replaced_by=replaced_by,
        withdrawn_at=NOW,
    )


def statuses(uow: FakeUnitOfWork, request: NotificationRequested) -> dict[str, tuple[str, str]]:
    return {c: (d.status, d.reason) for c, d in uow.deliveries.of(request.notification_id).items()}


async def test_a_withdrawn_request_not_yet_sent_is_suppressed(notifier: Notifier) -> None:
    uow = FakeUnitOfWork()
    resident = contact()
    uow.contacts.rows[resident.resident_id] = resident
    request = reminder(resident.resident_id)
    await notify.on_notifying_event(request, uow, notifier)

    await notify.on_notification_withdrawn(withdrawn(request), uow, notifier)

    assert statuses(uow, request) == {
        "email": ("suppressed", "withdrawn"),
        "sms": ("suppressed", "withdrawn"),
    }


async def test_a_withdrawal_arriving_before_its_request_suppresses_it_at_once(
    notifier: Notifier,
) -> None:
    uow = FakeUnitOfWork()
    resident = contact()
    uow.contacts.rows[resident.resident_id] = resident
    request = reminder(resident.resident_id)
    await notify.on_notification_withdrawn(withdrawn(request), uow, notifier)

    await notify.on_notifying_event(request, uow, notifier)

    assert {s for s, _ in statuses(uow, request).values()} == {"suppressed"}


async def test_a_replaced_request_sends_the_replacement_only(notifier: Notifier) -> None:
    uow = FakeUnitOfWork()
    resident = contact()
    uow.contacts.rows[resident.resident_id] = resident
    old, new = reminder(resident.resident_id), reminder(resident.resident_id)
    await notify.on_notifying_event(old, uow, notifier)
    await notify.on_notification_withdrawn(withdrawn(old, new.notification_id), uow, notifier)
    await notify.on_notifying_event(new, uow, notifier)

    assert {s for s, _ in statuses(uow, old).values()} == {"suppressed"}
    assert {s for s, _ in statuses(uow, new).values()} == {"queued"}


async def test_a_parked_request_withdrawn_meanwhile_is_suppressed_when_released(
    notifier: Notifier,
) -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    request = reminder(resident_id)
    await notify.on_notifying_event(request, uow, notifier)  # unknown resident: parked
    await notify.on_notification_withdrawn(withdrawn(request), uow, notifier)
    resident = contact(resident_id=resident_id)
    uow.contacts.rows[resident_id] = resident

    await notify.release_parked(resident, uow, notifier)

    assert statuses(uow, request) == {
        "email": ("suppressed", "withdrawn"),
        "sms": ("suppressed", "withdrawn"),
    }
