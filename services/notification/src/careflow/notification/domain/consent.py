"""Consent rules, channel by channel: send, or suppress with a reason.

- withdrawn service consents stop every notification (and end phone permission);
- an anonymous resident gets no notifications (no contact data, no case page);
- email needs the email opt-in and an address; SMS needs the SMS opt-in and a
  phone number. Phone permission is about professionals *calling* and does not
  gate SMS notifications: SMS and email opt-ins are the consents for those.
"""

from __future__ import annotations

from careflow.notification.domain.contacts import ResidentContact

EMAIL = "email"
SMS = "sms"
CHANNELS = (EMAIL, SMS)

UNKNOWN_RESIDENT = "unknown_resident"
CONSENTS_WITHDRAWN = "service_consents_withdrawn"
ANONYMOUS = "anonymous_resident"
NOT_ENABLED = {EMAIL: "email_notifications_off", SMS: "sms_notifications_off"}
NO_ADDRESS = {EMAIL: "no_email_address", SMS: "no_phone_number"}


def suppression_reason(contact: ResidentContact | None, channel: str) -> str | None:
    """Why `channel` must not be used for this resident now; None when it may."""
    if contact is None or not contact.consents_known:
        return UNKNOWN_RESIDENT
    if contact.withdrawn:
        return CONSENTS_WITHDRAWN
    if contact.anonymous:
        return ANONYMOUS
    enabled = contact.email_opt_in if channel == EMAIL else contact.sms_opt_in
    if not enabled:
        return NOT_ENABLED[channel]
    on_file = contact.has_email if channel == EMAIL else contact.has_phone
    if not on_file:
        return NO_ADDRESS[channel]
    return None


def address_of(contact: ResidentContact, channel: str) -> str | None:
    """The address to send to; None while the value has not arrived (or was cleared)."""
    return contact.email if channel == EMAIL else contact.phone
