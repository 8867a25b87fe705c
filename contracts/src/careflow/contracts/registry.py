"""The one registry of every CareFlow topic."""

from __future__ import annotations

from careflow.contracts.bookings import BOOKING_EVENTS
from careflow.contracts.cases import CASE_EVENTS
from careflow.contracts.chats import CHANNEL_EVENTS, CHAT_EVENTS
from careflow.contracts.clinical import CLINICAL_EVENTS
from careflow.contracts.complaints import COMPLAINT_EVENTS
from careflow.contracts.messages import CASE_MESSAGE_EVENTS
from careflow.contracts.notifications import NOTIFICATION_REQUESTS
from careflow.contracts.probes import ProbeEmitted
from careflow.contracts.reminders import REMINDER_EVENTS
from careflow.contracts.residents import (
    RESIDENT_CONTACT_EVENTS,
    RESIDENT_EVENTS,
    RESIDENT_NAME_EVENTS,
)
from careflow.contracts.topics import DAY_MS, TopicRegistry, TopicSpec
from careflow.contracts.workqueue import QUEUE_EVENTS

PLATFORM_PROBES = TopicSpec(
    name="platform.probes.v1",
    description="Synthetic end-to-end probes (health checks, benchmarks). No personal data.",
    key="probe_id",
    events=(ProbeEmitted,),
    owner="platform",
    partitions=6,
    retention_ms=1 * DAY_MS,
)

INTAKE_CASES = TopicSpec(
    name="intake.cases.v1",
    description=(
        "Case lifecycle from submission to closing: ids, codes, dates and flags; "
        "no free text, no names, no contact details."
    ),
    key="case_id",
    events=CASE_EVENTS,
    owner="intake",
    partitions=6,
    retention_ms=14 * DAY_MS,
)

INTAKE_RESIDENTS = TopicSpec(
    name="intake.residents.v1",
    description=(
        "Residents' notification consents, phone permission and communication language; "
        "whether contact details exist, never the details."
    ),
    key="resident_id",
    events=RESIDENT_EVENTS,
    owner="intake",
    partitions=6,
    retention_ms=14 * DAY_MS,
)

INTAKE_RESIDENT_NAMES = TopicSpec(
    name="intake.resident-names.v1",
    description=(
        "Residents' names, for the work queue's last sort key. RESTRICTED: only the "
        "workqueue service may read this topic; it keeps the latest value."
    ),
    key="resident_id",
    events=RESIDENT_NAME_EVENTS,
    owner="intake",
    partitions=6,
    retention_ms=14 * DAY_MS,
    readers=("workqueue",),
)

INTAKE_RESIDENT_CONTACTS = TopicSpec(
    name="intake.resident-contacts.v1",
    description=(
        "Residents' email addresses and phone numbers. RESTRICTED: only the notification "
        "service may read this topic; short retention, consumers keep the latest value."
    ),
    key="resident_id",
    events=RESIDENT_CONTACT_EVENTS,
    owner="intake",
    partitions=6,
    retention_ms=7 * DAY_MS,
    dlq_retention_ms=7 * DAY_MS,
    readers=("notification",),
)

WORKQUEUE_ITEMS = TopicSpec(
    name="workqueue.items.v1",
    description=(
        "Work-queue changes per case (added, taken, transferred, urgency, incomplete, "
        "removed, closed) for the professional desktop integration, intake and notification."
    ),
    key="case_id",
    events=QUEUE_EVENTS,
    owner="workqueue",
    partitions=6,
    retention_ms=14 * DAY_MS,
)

NOTIFICATION_REQUESTS_TOPIC = TopicSpec(
    name="notification.requests.v1",
    description=(
        "Requests to notify a resident (messaging, reminders, other systems) or a professional "
        "(new chats). Template codes and ids only, no free text; professionals' work email. "
        "RESTRICTED: only the notification service reads it."
    ),
    key="notification_id",
    events=NOTIFICATION_REQUESTS,
    owner="notification",
    partitions=6,
    retention_ms=7 * DAY_MS,
    readers=("notification",),
    # The services that ask for notifications (once they exist under services/).
    writers=("messaging", "reminders"),
)

BOOKINGS_APPOINTMENTS = TopicSpec(
    name="bookings.appointments.v1",
    description=(
        "Appointments confirmed or cancelled in an organisation's external booking system, "
        "keyed by booking id, each naming its case. Codes and times only, no free text."
    ),
    key="booking_id",
    events=BOOKING_EVENTS,
    owner="bookings",  # the external booking integration
    partitions=6,
    retention_ms=14 * DAY_MS,
)

MESSAGING_CHATS = TopicSpec(
    name="messaging.chats.v1",
    description=(
        "Live chats: started, taken, transferred (to a channel or to non-urgent), ended; "
        "a case requested from intake for a chat moved to non-urgent that names none. "
        "Ids, codes and times; never message text."
    ),
    key="chat_id",
    events=CHAT_EVENTS,
    owner="messaging",
    partitions=6,
    retention_ms=14 * DAY_MS,
)

MESSAGING_CHAT_CHANNELS = TopicSpec(
    name="messaging.chat-channels.v1",
    description=(
        "Chat channels' state (open / open with congestion notice / closed, by hand or by "
        "opening hours) and professionals' presence and new-chat notification choices."
    ),
    key="channel_id",
    events=CHANNEL_EVENTS,
    owner="messaging",
    partitions=6,
    retention_ms=14 * DAY_MS,
)

MESSAGING_MESSAGES = TopicSpec(
    name="messaging.messages.v1",
    description=(
        "Case messages written and read (which side, when, unread counts); never the text."
    ),
    key="case_id",
    events=CASE_MESSAGE_EVENTS,
    owner="messaging",
    partitions=6,
    retention_ms=14 * DAY_MS,
)

COMPLAINTS_CASES = TopicSpec(
    name="complaints.cases.v1",
    description=(
        "Feedback and complaints: submitted, re-targeted, delivered to a clinic's own system, "
        "answered. Ids, HSA-ids, codes and times; no free text, no names."
    ),
    key="case_id",
    events=COMPLAINT_EVENTS,
    owner="complaints",
    partitions=6,
    retention_ms=14 * DAY_MS,
)

REMINDERS_WITHDRAWALS = TopicSpec(
    name="reminders.withdrawals.v1",
    description=(
        "Reminders withdrawing notification requests not sent yet (appointment cancelled or "
        "moved, service performed again), each naming the request. Ids and codes only."
    ),
    key="notification_id",
    events=REMINDER_EVENTS,
    owner="reminders",
    partitions=6,
    retention_ms=7 * DAY_MS,
)

CLINICAL_SERVICES = TopicSpec(
    name="clinical.services.v1",
    description=(
        "Services performed and items added in an organisation's clinical system, keyed by "
        "resident. Codes, diagnosis codes and age: RESTRICTED, only reminders reads it."
    ),
    key="resident_id",
    events=CLINICAL_EVENTS,
    owner="clinical",  # the external clinical-system integration
    partitions=6,
    retention_ms=14 * DAY_MS,
    readers=("reminders",),
)

TOPICS = TopicRegistry(
    [
        PLATFORM_PROBES,
        INTAKE_CASES,
        INTAKE_RESIDENTS,
        INTAKE_RESIDENT_CONTACTS,
        INTAKE_RESIDENT_NAMES,
        WORKQUEUE_ITEMS,
        NOTIFICATION_REQUESTS_TOPIC,
        BOOKINGS_APPOINTMENTS,
        MESSAGING_CHATS,
        MESSAGING_CHAT_CHANNELS,
        MESSAGING_MESSAGES,
        COMPLAINTS_CASES,
        REMINDERS_WITHDRAWALS,
        CLINICAL_SERVICES,
    ]
)
