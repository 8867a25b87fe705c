"""Customer information: contact details, notification consents, phone permission."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from careflow.intake.domain.errors import InvalidInput, WrongState
from careflow.intake.domain.forms import LANGUAGES
from careflow.intake.domain.text import email_address, phone_number, plain_text


@dataclass(frozen=True)
class ContactUpdated:
    at: datetime
    details_changed: bool
    name_changed: bool = False


@dataclass(frozen=True)
class ConsentsWithdrawn:
    at: datetime


@dataclass(frozen=True)
class ConsentsGiven:
    at: datetime


ResidentEvent = ContactUpdated | ConsentsWithdrawn | ConsentsGiven


@dataclass
class Resident:
    id: UUID
    communication_language: str = "fi"
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    email_notifications: bool = False
    sms_notifications: bool = False
    phone_contact_allowed: bool = False
    service_consents: bool = True
    updated_at: datetime | None = None
    events: list[ResidentEvent] = field(default_factory=list, repr=False)

    @property
    def phone_permission(self) -> bool:
        """Whether a professional may call; never after the service consents are withdrawn."""
        return self.service_consents and self.phone_contact_allowed and self.phone is not None

    def update_contact(
        self,
        *,
        now: datetime,
        communication_language: str,
        name: str | None,
        email: str | None,
        phone: str | None,
        email_notifications: bool,
        sms_notifications: bool,
        phone_contact_allowed: bool,
    ) -> None:
        if communication_language not in LANGUAGES:
            raise InvalidInput("language must be fi, sv or en")
        if name is not None:
            name = plain_text(name, field="name", max_length=200)
        if email is not None:
            email_address(email)
        if phone is not None:
            phone_number(phone)
        if email_notifications and email is None:
            raise InvalidInput("email notifications need an email address")
        if (sms_notifications or phone_contact_allowed) and phone is None:
            raise InvalidInput("SMS notifications and phone contact need a phone number")
        if phone_contact_allowed and not self.service_consents:
            raise WrongState("phone contact needs the service consents, which were withdrawn")
        details_changed = (email, phone, communication_language) != (
            self.email,
            self.phone,
            self.communication_language,
        )
        name_changed = name != self.name
        self.name, self.email, self.phone = name, email, phone
        self.communication_language = communication_language
        self.email_notifications, self.sms_notifications = email_notifications, sms_notifications
        self.phone_contact_allowed = phone_contact_allowed
        self.updated_at = now
        self.events.append(ContactUpdated(now, details_changed, name_changed))

    def note_phone(self, phone: str, now: datetime) -> None:
        """A form brought a phone number; it becomes the number on file."""
        if phone != self.phone:
            self.phone, self.updated_at = phone, now
            self.events.append(ContactUpdated(now, True))

    def withdraw_service_consents(self, now: datetime) -> None:
        """Phone permission ends with the consents: nobody may call on that basis."""
        if not self.service_consents:
            return
        self.service_consents = False
        self.phone_contact_allowed = False
        self.updated_at = now
        self.events.append(ConsentsWithdrawn(now))

    def give_service_consents(self, now: datetime) -> None:
        """The way back after a withdrawal. Phone permission stays off until the resident
        enables it again: nobody may call on a permission the resident ended."""
        if self.service_consents:
            return
        self.service_consents = True
        self.updated_at = now
        self.events.append(ConsentsGiven(now))

    def pull_events(self) -> list[ResidentEvent]:
        pulled, self.events = self.events, []
        return pulled
