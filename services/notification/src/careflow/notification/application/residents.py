"""Reactions to intake's resident events: keep the contact projection, release parked requests."""

from __future__ import annotations

from collections.abc import Callable
from uuid import UUID

from careflow.contracts.residents import (
    ResidentContactDetailsChanged,
    ResidentContactUpdated,
    ServiceConsentsGiven,
    ServiceConsentsWithdrawn,
)
from careflow.notification.application.context import Notifier
from careflow.notification.application.notify import release_parked
from careflow.notification.application.ports import UnitOfWork
from careflow.notification.domain.contacts import ResidentContact


async def _change_contact(
    resident_id: UUID,
    change: Callable[[ResidentContact], None],
    uow: UnitOfWork,
    notifier: Notifier,
) -> None:
    """Every resident event: lock (or create) the projection row, change it, save it,
    and decide the notifications that waited for it."""
    contact = await uow.contacts.lock_new(resident_id)
    change(contact)
    await uow.contacts.save(contact)
    await release_parked(contact, uow, notifier)


async def on_contact_updated(
    event: ResidentContactUpdated, uow: UnitOfWork, notifier: Notifier
) -> None:
    """Consents, phone permission, language or time zone changed.

    Intake allows these changes while the service consents are withdrawn: the
    event's `service_consents` says whether they hold (None from older producers).
    """

    def change(contact: ResidentContact) -> None:
        contact.apply_consents(
            anonymous=event.anonymous,
            email_opt_in=event.email_notifications,
            sms_opt_in=event.sms_notifications,
            phone_permission=event.phone_contact_allowed,
            language=event.communication_language,
            time_zone=event.time_zone,
            has_email=event.has_email,
            has_phone=event.has_phone,
            at=event.updated_at,
            service_consents=event.service_consents,
        )

    await _change_contact(event.resident_id, change, uow, notifier)


async def on_consents_withdrawn(
    event: ServiceConsentsWithdrawn, uow: UnitOfWork, notifier: Notifier
) -> None:
    """Phone permission ends at once; later notifications are suppressed with the reason."""
    await _change_contact(
        event.resident_id,
        lambda contact: contact.withdraw_service_consents(event.withdrawn_at),
        uow,
        notifier,
    )


async def on_consents_given(
    event: ServiceConsentsGiven, uow: UnitOfWork, notifier: Notifier
) -> None:
    """Notifications decided from now on may go out again; nothing suppressed meanwhile is."""
    await _change_contact(
        event.resident_id,
        lambda contact: contact.give_service_consents(event.given_at),
        uow,
        notifier,
    )


async def on_details_changed(
    event: ResidentContactDetailsChanged, uow: UnitOfWork, notifier: Notifier
) -> None:
    """The latest email address and phone number; null forgets the earlier value."""

    def change(contact: ResidentContact) -> None:
        contact.apply_details(
            email=event.email,
            phone=event.phone,
            language=event.communication_language,
            at=event.changed_at,
        )

    await _change_contact(event.resident_id, change, uow, notifier)
