"""Resident events intake publishes, keyed by resident_id, on two topics.

Customer information (domain.md) is split by who may read it:

- `intake.residents.v1` — consents, phone permission, communication language
  and whether an email address / phone number exists. No contact values:
  any CareFlow service may consume it.
- `intake.resident-contacts.v1` — the email address and phone number
  themselves, which the notification service needs to send. Only the
  notification service may read it (TopicSpec.readers; enforced by Kafka ACLs).
  Its retention is short; notification keeps the latest values in its own
  database and forgets them when a later event clears them.
- `intake.resident-names.v1` — the resident's name, which the work queue needs
  for its last sort key (domain.md: urgency, then oldest, then resident name).
  Only the work queue may read it; case events never carry names.
"""

from __future__ import annotations

from typing import Annotated, ClassVar
from uuid import UUID

from pydantic import AwareDatetime, Field, StringConstraints, model_validator

from careflow.contracts.base import ContractEvent
from careflow.contracts.common import Language

#: E.164 phone number, e.g. +358401234567.
PhoneNumber = Annotated[str, StringConstraints(pattern=r"^\+[1-9][0-9]{6,14}$")]
#: An email address: one @, no spaces, a dot in the domain; at most 254 characters.
EmailAddress = Annotated[
    str, StringConstraints(max_length=254, pattern=r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
]
#: IANA time zone name, e.g. Europe/Helsinki.
TimeZoneName = Annotated[
    str, StringConstraints(max_length=64, pattern=r"^[A-Za-z]+(/[A-Za-z0-9_+-]+){0,2}$")
]


class ResidentEvent(ContractEvent):
    key_field: ClassVar[str] = "resident_id"

    resident_id: UUID = Field(
        description="Pseudonymous id of the resident; the Kafka key and ce_subject."
    )


class ResidentContactUpdated(ResidentEvent):
    """The resident's notification consents, phone permission or language changed.

    Carries whether contact values exist, never the values (see
    `ResidentContactDetailsChanged` on the restricted topic).
    """

    event_type: ClassVar[str] = "careflow.resident.contact_updated.v1"

    anonymous: bool = Field(
        description="True for an anonymous resident: no phone, no notifications, no case page."
    )
    email_notifications: bool = Field(
        description="Whether the resident consents to email notifications."
    )
    sms_notifications: bool = Field(
        description="Whether the resident consents to SMS notifications."
    )
    phone_contact_allowed: bool = Field(
        description="Whether professionals may use the phone number in the resident's cases."
    )
    communication_language: Language = Field(
        description="Language of notifications; never changes the language of earlier cases."
    )
    has_email: bool = Field(description="Whether an email address is on file.")
    has_phone: bool = Field(description="Whether a phone number is on file.")
    updated_at: AwareDatetime = Field(description="When the change was made (UTC).")
    time_zone: TimeZoneName | None = Field(
        default=None,
        description="IANA time zone the resident lives in, for dates in notifications "
        "(e.g. a closing deadline); None = the organisation's default.",
    )

    service_consents: bool | None = Field(
        default=None,
        description="Whether the resident's consents to use the service hold now "
        "(False after a withdrawal until they are given again); None in events from "
        "producers older than this field.",
    )

    @model_validator(mode="after")
    def _rules(self) -> ResidentContactUpdated:
        if self.anonymous and (self.has_phone or self.phone_contact_allowed):
            raise ValueError("an anonymous resident has no phone number or phone permission")
        if self.service_consents is False and self.phone_contact_allowed:
            raise ValueError("phone permission ends with the service consents")
        if self.phone_contact_allowed and not self.has_phone:
            raise ValueError("phone permission needs a phone number")
        return self


class ServiceConsentsWithdrawn(ResidentEvent):
    """The resident withdrew the consents required to use the service.

    Phone permission ends with it: no professional may call on that basis, and
    consumers treat phone_contact_allowed as False from `withdrawn_at` on.
    """

    event_type: ClassVar[str] = "careflow.resident.service_consents_withdrawn.v1"

    withdrawn_at: AwareDatetime = Field(description="When the consents were withdrawn (UTC).")


class ServiceConsentsGiven(ResidentEvent):
    """The resident gave the consents required to use the service again, after withdrawing them.

    Phone permission does not come back with them: the resident enables it
    again explicitly (a later `ResidentContactUpdated` says so).
    """

    event_type: ClassVar[str] = "careflow.resident.service_consents_given.v1"

    given_at: AwareDatetime = Field(description="When the consents were given again (UTC).")


class ResidentContactDetailsChanged(ResidentEvent):
    """The resident's email address or phone number changed. Restricted topic: notification only.

    Each event states both values as they are now; null means there is none
    (any earlier value must be forgotten).
    """

    event_type: ClassVar[str] = "careflow.resident_contact.details_changed.v1"

    email: EmailAddress | None = Field(default=None, description="Email address, or none.")
    phone: PhoneNumber | None = Field(default=None, description="Phone number (E.164), or none.")
    communication_language: Language = Field(description="Language to send notifications in.")
    changed_at: AwareDatetime = Field(description="When the change was made (UTC).")


class ResidentNameChanged(ResidentEvent):
    """The resident's name as customer information now has it. Restricted topic: workqueue only.

    Null means no name is on file (any earlier value must be forgotten).
    """

    event_type: ClassVar[str] = "careflow.resident_name.changed.v1"

    name: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        default=None, description="The resident's name, or none."
    )
    changed_at: AwareDatetime = Field(description="When the change was made (UTC).")


RESIDENT_EVENTS: tuple[type[ResidentEvent], ...] = (
    ResidentContactUpdated,
    ServiceConsentsWithdrawn,
    ServiceConsentsGiven,
)
RESIDENT_CONTACT_EVENTS: tuple[type[ResidentEvent], ...] = (ResidentContactDetailsChanged,)
RESIDENT_NAME_EVENTS: tuple[type[ResidentEvent], ...] = (ResidentNameChanged,)
