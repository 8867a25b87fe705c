"""Who may read and act on a case, and what its page shows about the resident."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal
from uuid import UUID

from careflow.intake.domain.case import Case
from careflow.intake.domain.forms import may_act_for_child
from careflow.intake.domain.residents import Resident


def professional_may_access(case: Case, organisation_id: str) -> bool:
    """Only the case's organisation; never private records or cases withdrawn before taken."""
    return case.organisation_id == organisation_id and not case.hidden_from_professionals


def resident_may_access(
    case: Case, resident_id: UUID, children: dict[UUID, date], today: date
) -> bool:
    """The identified resident of the case, or their guardian while the child is under 15."""
    if case.identification != "identified":
        return False
    if case.resident_id == resident_id:
        return True
    return may_act_for_child(children, case.resident_id, today)


def phone_contact_enabled(case: Case, resident: Resident | None) -> bool:
    """Green "enabled" only while the service consents hold and the resident allowed calls.

    A resident's form says for its own case whether they may be called
    (`refuse_phone_contact`). A case a professional created has no such answer:
    the resident's standing permission in their customer information decides.
    """
    if case.identification != "identified" or resident is None or not resident.service_consents:
        return False
    if case.origin == "professional":
        return resident.phone_permission
    return case.phone_contact_allowed


@dataclass(frozen=True)
class CustomerInformation:
    """What the case page shows about the resident, the same for resident and professional."""

    name: str | None
    email: str | None
    phone: str | None
    email_notifications: bool
    sms_notifications: bool
    phone_contact: Literal["enabled", "not_enabled"]
    #: "unknown": anonymous, or a resident who has never used the service (no record).
    service_consents: Literal["given", "withdrawn", "unknown"]


def customer_information(case: Case, resident: Resident | None) -> CustomerInformation:
    """The resident's real consents and phone permission as they hold now."""
    if case.identification != "identified" or resident is None:
        return CustomerInformation(None, None, None, False, False, "not_enabled", "unknown")
    return CustomerInformation(
        name=resident.name,
        email=resident.email,
        phone=resident.phone,
        email_notifications=resident.email_notifications,
        sms_notifications=resident.sms_notifications,
        phone_contact="enabled" if phone_contact_enabled(case, resident) else "not_enabled",
        service_consents="given" if resident.service_consents else "withdrawn",
    )
