"""Notifying use cases on an in-memory unit of work: decide now or park, release, expire."""

from __future__ import annotations

import dataclasses
import uuid
from datetime import timedelta

import pytest

from careflow.contracts.notifications import (
    NotificationRequested,
    ProfessionalChatNotificationRequested,
)
from careflow.contracts.residents import ResidentContactUpdated
from careflow.notification.adapters.templates import JinjaRenderer
from careflow.notification.application import notify, residents
from careflow.notification.application.context import Notifier
from careflow.notification.domain.notification import DECIDED, PARKED

from .builders import LINKS, NOW, contact
from .fakes import FakeTelemetry, FakeUnitOfWork

PARK_SECONDS = 3600


@pytest.fixture
def telemetry() -> FakeTelemetry:
    return FakeTelemetry()


@pytest.fixture
def notifier(renderer: JinjaRenderer, telemetry: FakeTelemetry) -> Notifier:
    return Notifier(
        renderer=renderer,
        links=LINKS,
        telemetry=telemetry,
        park_timeout_seconds=PARK_SECONDS,
        clock=lambda: NOW,
    )


def requested(resident_id: uuid.UUID, **fields: object) -> NotificationRequested:
    values: dict[str, object] = {
        "notification_id": uuid.uuid4(),
        "requested_by": "messaging",
        "requested_at": NOW,
        "resident_id": resident_id,
        "purpose": "new_message",
        "channels": ["email", "sms"],
        "link_target": "messages",
    }
    return NotificationRequested(**(values | fields))  # type: ignore[arg-type]


def consents(resident_id: uuid.UUID, *, email: bool, sms: bool) -> ResidentContactUpdated:
    return ResidentContactUpdated(
        resident_id=resident_id,
        anonymous=False,
        email_notifications=email,
        sms_notifications=sms,
        phone_contact_allowed=False,
        communication_language="fi",
        has_email=True,
        has_phone=True,
        updated_at=NOW,
    )


async def test_a_known_resident_gets_a_delivery_per_consented_channel_and_a_reason_for_the_rest(
    notifier: Notifier, telemetry: FakeTelemetry
) -> None:
    uow = FakeUnitOfWork()
    resident = contact(sms_opt_in=False)
    uow.contacts.rows[resident.resident_id] = resident
    event = requested(resident.resident_id)

    await notify.on_notifying_event(event, uow, notifier)

    assert uow.notifications.status[event.notification_id] == DECIDED
    by_channel = uow.deliveries.of(event.notification_id)
    assert by_channel["email"].status == "queued"
    assert "https://careflow.example/messages" in by_channel["email"].body
    assert (by_channel["sms"].status, by_channel["sms"].reason) == (
        "suppressed",
        "sms_notifications_off",
    )
    assert sorted(telemetry.outcomes) == [("email", "queued"), ("sms", "suppressed")]


async def test_a_resident_without_contact_data_is_parked_with_no_deliveries_yet(
    notifier: Notifier, telemetry: FakeTelemetry
) -> None:
    uow = FakeUnitOfWork()
    event = requested(uuid.uuid4())

    await notify.on_notifying_event(event, uow, notifier)

    assert uow.notifications.status[event.notification_id] == PARKED
    assert uow.deliveries.of(event.notification_id) == {}
    assert telemetry.outcomes == []


async def test_the_same_notification_republished_is_decided_and_counted_once(
    notifier: Notifier, telemetry: FakeTelemetry
) -> None:
    uow = FakeUnitOfWork()
    resident = contact()
    uow.contacts.rows[resident.resident_id] = resident
    event = requested(resident.resident_id)

    await notify.on_notifying_event(event, uow, notifier)
    await notify.on_notifying_event(event, uow, notifier)

    assert len(uow.deliveries.of(event.notification_id)) == 2
    assert sorted(telemetry.outcomes) == [("email", "queued"), ("sms", "queued")]


async def test_the_organisation_a_request_was_made_for_is_recorded_with_it(
    notifier: Notifier,
) -> None:
    uow = FakeUnitOfWork()
    event = requested(
        uuid.uuid4(), purpose="patient_reminder", link_target="reminders", organisation_id="org-1"
    )

    await notify.on_notifying_event(event, uow, notifier)

    assert uow.notifications.requests[event.notification_id].organisation_id == "org-1"


async def test_consents_arriving_decide_the_residents_parked_notifications(
    notifier: Notifier,
) -> None:
    uow = FakeUnitOfWork()
    resident_id = uuid.uuid4()
    event = requested(resident_id)
    await notify.on_notifying_event(event, uow, notifier)

    await residents.on_contact_updated(consents(resident_id, email=True, sms=False), uow, notifier)

    assert uow.notifications.status[event.notification_id] == DECIDED
    by_channel = uow.deliveries.of(event.notification_id)
    assert by_channel["email"].status == "queued"
    assert by_channel["sms"].reason == "sms_notifications_off"


async def test_a_request_parked_past_the_timeout_is_suppressed_as_for_an_unknown_resident(
    notifier: Notifier,
) -> None:
    uow = FakeUnitOfWork()
    earlier = dataclasses.replace(notifier, clock=lambda: NOW - timedelta(seconds=PARK_SECONDS))
    event = requested(uuid.uuid4())
    await notify.on_notifying_event(event, uow, earlier)

    assert await notify.expire_parked(uow, notifier) == 1

    assert uow.notifications.status[event.notification_id] == DECIDED
    reasons = {c: d.reason for c, d in uow.deliveries.of(event.notification_id).items()}
    assert reasons == {"email": "unknown_resident", "sms": "unknown_resident"}
    assert uow.commits == 1


async def test_a_request_parked_less_than_the_timeout_keeps_waiting(notifier: Notifier) -> None:
    uow = FakeUnitOfWork()
    recently = dataclasses.replace(notifier, clock=lambda: NOW - timedelta(seconds=60))
    event = requested(uuid.uuid4())
    await notify.on_notifying_event(event, uow, recently)

    assert await notify.expire_parked(uow, notifier) == 0

    assert uow.notifications.status[event.notification_id] == PARKED
    assert uow.deliveries.of(event.notification_id) == {}


async def test_a_new_chat_emails_the_professional_once_with_a_link_to_it(
    notifier: Notifier, telemetry: FakeTelemetry
) -> None:
    uow = FakeUnitOfWork()
    event = ProfessionalChatNotificationRequested(
        notification_id=uuid.uuid4(),
        requested_by="messaging",
        requested_at=NOW,
        professional_id="nurse-1",
        organisation_id="org-1",
        channel_id="channel-1",
        chat_id=uuid.uuid4(),
        email="nurse@example.org",
        language="fi",
    )

    await notify.on_professional_chat(event, uow, notifier)
    await notify.on_professional_chat(event, uow, notifier)

    (email,) = uow.deliveries.of(event.notification_id).values()
    assert (email.channel, email.recipient, email.status) == (
        "email",
        "nurse@example.org",
        "queued",
    )
    assert f"https://desktop.careflow.example/chats/{event.chat_id}" in email.body
    assert telemetry.outcomes == [("email", "queued")]
