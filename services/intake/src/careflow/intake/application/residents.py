"""Customer information the resident keeps: contact, consents, phone permission."""

from __future__ import annotations

from typing import Any

from careflow.intake.application.actors import ResidentActor
from careflow.intake.application.context import Intake
from careflow.intake.application.outgoing import resident_events
from careflow.intake.application.publishing import publish
from careflow.intake.domain.residents import Resident


def _contact_view(resident: Resident) -> dict[str, Any]:
    return {
        "name": resident.name,
        "email": resident.email,
        "phone": resident.phone,
        "communication_language": resident.communication_language,
        "email_notifications": resident.email_notifications,
        "sms_notifications": resident.sms_notifications,
        "phone_contact_allowed": resident.phone_permission,
        "service_consents": resident.service_consents,
    }


async def read_contact(intake: Intake, actor: ResidentActor) -> dict[str, Any]:
    async with intake.uow() as uow:
        resident = await uow.residents.get(actor.resident_id) or Resident(actor.resident_id)
    return _contact_view(resident)


async def update_contact(intake: Intake, actor: ResidentActor, **contact: Any) -> dict[str, Any]:
    """Stores the resident's contact and consents; ResidentContactUpdated (+ details changed)."""
    async with intake.uow() as uow:
        resident = await uow.residents.get(actor.resident_id, lock=True) or Resident(
            actor.resident_id
        )
        resident.update_contact(now=intake.clock(), **contact)
        await uow.residents.save(resident)
        publish(uow, resident_events(resident, resident.pull_events()))
        await uow.commit()
    return _contact_view(resident)


async def withdraw_service_consents(intake: Intake, actor: ResidentActor) -> dict[str, Any]:
    """Phone permission ends with the consents; ServiceConsentsWithdrawn."""
    async with intake.uow() as uow:
        resident = await uow.residents.get(actor.resident_id, lock=True) or Resident(
            actor.resident_id
        )
        resident.withdraw_service_consents(intake.clock())
        await uow.residents.save(resident)
        publish(uow, resident_events(resident, resident.pull_events()))
        await uow.commit()
    return _contact_view(resident)


async def give_service_consents(intake: Intake, actor: ResidentActor) -> dict[str, Any]:
    """The way back after a withdrawal; phone permission stays off. ServiceConsentsGiven."""
    async with intake.uow() as uow:
        resident = await uow.residents.get(actor.resident_id, lock=True) or Resident(
            actor.resident_id
        )
        resident.give_service_consents(intake.clock())
        await uow.residents.save(resident)
        for event in resident_events(resident, resident.pull_events()):
            uow.outbox.add(event)
        await uow.commit()
    return _contact_view(resident)
