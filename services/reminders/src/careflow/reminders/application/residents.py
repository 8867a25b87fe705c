"""Residents' contact presence and opt-ins, from intake's resident events."""

from __future__ import annotations

from careflow.contracts.residents import ResidentContactUpdated
from careflow.reminders.application.ports import UnitOfWork
from careflow.reminders.domain.contacts import ResidentContact


async def on_contact_updated(event: ResidentContactUpdated, uow: UnitOfWork) -> None:
    await uow.projections.note_contact(
        ResidentContact(
            resident_id=event.resident_id,
            has_email=event.has_email,
            has_phone=event.has_phone,
            email_opt_in=event.email_notifications,
            sms_opt_in=event.sms_notifications,
            anonymous=event.anonymous,
            language=event.communication_language,
            updated_at=event.updated_at,
        )
    )
