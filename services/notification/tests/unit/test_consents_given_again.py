"""Withdrawn service consents and consents given again, on an in-memory unit of work.

Intake lets a resident change contact data while the consents are withdrawn, so a
contact update alone must not bring notifications back: only the real state does.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from careflow.contracts.notifications import NotificationRequested
from careflow.contracts.residents import (
    ResidentContactUpdated,
    ServiceConsentsGiven,
    ServiceConsentsWithdrawn,
)
from careflow.notification.application import notify, residents
from careflow.notification.application.context import Notifier

from .builders import NOW
from .fakes import FakeUnitOfWork

MINUTE = timedelta(minutes=1)


def updated(resident_id: uuid.UUID, minutes: int, consents: bool | None) -> ResidentContactUpdated:
    return ResidentContactUpdated(
        resident_id=resident_id,
        anonymous=False,
        email_notifications=True,
        sms_notifications=True,
        phone_contact_allowed=bool(consents),
        communication_language="fi",
        has_email=True,
        has_phone=True,
        updated_at=NOW + minutes * MINUTE,
        service_consents=consents,
    )


def withdrawn(resident_id: uuid.UUID, minutes: int) -> ServiceConsentsWithdrawn:
    return ServiceConsentsWithdrawn(resident_id=resident_id, withdrawn_at=NOW + minutes * MINUTE)


def given(resident_id: uuid.UUID, minutes: int) -> ServiceConsentsGiven:
    return ServiceConsentsGiven(resident_id=resident_id, given_at=NOW + minutes * MINUTE)


async def outcome(uow: FakeUnitOfWork, notifier: Notifier, resident_id: uuid.UUID) -> dict:  # type: ignore[type-arg]
    """A new notification for the resident now: status and reason per channel."""
    event = NotificationRequested(
        notification_id=uuid.uuid4(),
        requested_by="messaging",
        requested_at=NOW,
        resident_id=resident_id,
        purpose="new_message",
        channels=["email", "sms"],
        link_target="messages",
    )
    await notify.on_notifying_event(event, uow, notifier)
    return {c: (d.status, d.reason) for c, d in uow.deliveries.of(event.notification_id).items()}


WITHHELD = {
    "email": ("suppressed", "service_consents_withdrawn"),
    "sms": ("suppressed", "service_consents_withdrawn"),
}
SENT = {"email": ("queued", None), "sms": ("queued", None)}


async def withdrawn_resident(uow: FakeUnitOfWork, notifier: Notifier) -> uuid.UUID:
    """A resident who used the service, then withdrew the consents (as intake publishes it)."""
    resident_id = uuid.uuid4()
    await residents.on_contact_updated(updated(resident_id, 0, True), uow, notifier)
    await residents.on_consents_withdrawn(withdrawn(resident_id, 1), uow, notifier)
    await residents.on_contact_updated(updated(resident_id, 1, False), uow, notifier)
    return resident_id


async def test_a_contact_update_while_withdrawn_keeps_notifications_suppressed(notifier) -> None:
    uow = FakeUnitOfWork()
    resident_id = await withdrawn_resident(uow, notifier)

    await residents.on_contact_updated(updated(resident_id, 2, False), uow, notifier)

    assert await outcome(uow, notifier, resident_id) == WITHHELD


async def test_consents_given_again_let_new_notifications_go_out(notifier) -> None:
    uow = FakeUnitOfWork()
    resident_id = await withdrawn_resident(uow, notifier)
    await residents.on_contact_updated(updated(resident_id, 2, False), uow, notifier)

    await residents.on_consents_given(given(resident_id, 3), uow, notifier)

    assert await outcome(uow, notifier, resident_id) == SENT
    # Phone permission is the resident's to enable again, not the consents'.
    assert not uow.contacts.rows[resident_id].phone_permission


async def test_an_update_saying_the_consents_hold_restores_them_without_the_given_event(
    notifier,
) -> None:
    uow = FakeUnitOfWork()
    resident_id = await withdrawn_resident(uow, notifier)

    await residents.on_contact_updated(updated(resident_id, 2, True), uow, notifier)

    assert await outcome(uow, notifier, resident_id) == SENT
    assert uow.contacts.rows[resident_id].phone_permission


async def test_an_update_saying_the_consents_are_withdrawn_withdraws_them(notifier) -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    await residents.on_contact_updated(updated(resident_id, 0, True), uow, notifier)

    await residents.on_contact_updated(updated(resident_id, 1, False), uow, notifier)

    assert await outcome(uow, notifier, resident_id) == WITHHELD


async def test_an_update_from_an_older_producer_after_a_withdrawal_still_means_given_again(
    notifier,
) -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    await residents.on_contact_updated(updated(resident_id, 0, None), uow, notifier)
    await residents.on_consents_withdrawn(withdrawn(resident_id, 1), uow, notifier)
    assert await outcome(uow, notifier, resident_id) == WITHHELD

    await residents.on_contact_updated(updated(resident_id, 2, None), uow, notifier)

    assert await outcome(uow, notifier, resident_id) == SENT


async def test_consents_given_before_a_later_withdrawal_change_nothing(notifier) -> None:
    uow = FakeUnitOfWork()
    resident_id = await withdrawn_resident(uow, notifier)

    await residents.on_consents_given(given(resident_id, 0), uow, notifier)  # arrived late
    await residents.on_consents_given(given(resident_id, 1), uow, notifier)  # same instant

    assert await outcome(uow, notifier, resident_id) == WITHHELD


async def test_notifications_suppressed_while_withdrawn_stay_suppressed_when_consents_return(
    notifier,
) -> None:
    uow = FakeUnitOfWork()
    resident_id = await withdrawn_resident(uow, notifier)
    assert await outcome(uow, notifier, resident_id) == WITHHELD

    await residents.on_consents_given(given(resident_id, 2), uow, notifier)

    suppressed = [d for d in uow.deliveries.rows.values() if d.status == "suppressed"]
    assert len(suppressed) == 2
    assert {d.reason for d in suppressed} == {"service_consents_withdrawn"}


async def test_requests_parked_for_an_unknown_resident_are_decided_on_the_state_when_released(
    notifier,
) -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    await residents.on_consents_withdrawn(withdrawn(resident_id, 0), uow, notifier)
    parked = NotificationRequested(
        notification_id=uuid.uuid4(),
        requested_by="messaging",
        requested_at=NOW,
        resident_id=resident_id,
        purpose="new_message",
        channels=["email"],
        link_target="messages",
    )
    await notify.on_notifying_event(parked, uow, notifier)
    await residents.on_consents_given(given(resident_id, 1), uow, notifier)
    assert uow.deliveries.of(parked.notification_id) == {}  # opt-ins still unknown: parked

    await residents.on_contact_updated(updated(resident_id, 1, True), uow, notifier)

    assert uow.deliveries.of(parked.notification_id)["email"].status == "queued"
