"""What a due send asks notification for."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from careflow.reminders.application.outgoing import request_for
from careflow.reminders.domain.listing import DueSend

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
ORG = "org-1"


def due(kind: str, case_id: uuid.UUID | None = None) -> DueSend:
    return DueSend(uuid.uuid4(), uuid.uuid4(), NOW, uuid.uuid4(), kind, ("email",), ORG, case_id)


def test_an_appointment_reminder_is_about_its_bookings_case() -> None:
    case_id = uuid.uuid4()
    send = due("appointment", case_id)
    request = request_for(send, ("email",), NOW)
    assert (request.purpose, request.link_target, request.case_id) == (
        "appointment_reminder",
        "case",
        case_id,
    )
    assert request.notification_id == send.send_id


def test_a_patient_reminder_links_to_the_residents_reminders() -> None:
    request = request_for(due("patient"), ("sms",), NOW)
    assert (request.purpose, request.link_target, request.case_id, request.channels) == (
        "patient_reminder",
        "reminders",
        None,
        ["sms"],
    )


def test_every_request_is_made_on_behalf_of_the_reminders_organisation() -> None:
    # Without a case, the organisation is what lets its professionals see the reminder
    # in the resident's communication history (notification's professional view).
    for send in (due("patient"), due("appointment", uuid.uuid4())):
        assert request_for(send, ("email",), NOW).organisation_id == ORG
