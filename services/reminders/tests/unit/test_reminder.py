"""Send times of appointment reminders; moving and cancelling withdraw what is not out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from careflow.reminders.domain.reminder import (
    Kind,
    Reminder,
    SendStatus,
    Source,
    Status,
    appointment_send_times,
    wanted_channels,
)

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
DAY = timedelta(days=1)
NOTICE = timedelta(minutes=5)


def reminder(due: datetime) -> Reminder:
    return Reminder(
        reminder_id=uuid.uuid4(),
        organisation_id="org-1",
        resident_id=uuid.uuid4(),
        kind=Kind.APPOINTMENT,
        source=Source.BOOKING,
        due_at=due,
        channels=("email", "sms"),
        created_at=NOW,
        updated_at=NOW,
    )


def test_an_appointment_reminder_goes_the_lead_time_before_the_appointment() -> None:
    assert appointment_send_times(NOW + 3 * DAY, DAY, NOW, NOTICE) == [NOW + 2 * DAY]


def test_an_appointment_sooner_than_the_lead_time_is_reminded_of_at_once() -> None:
    assert appointment_send_times(NOW + timedelta(hours=3), DAY, NOW, NOTICE) == [NOW]


def test_an_appointment_about_to_start_or_past_gets_no_reminder() -> None:
    assert appointment_send_times(NOW + timedelta(minutes=2), DAY, NOW, NOTICE) == []
    assert appointment_send_times(NOW - DAY, DAY, NOW, NOTICE) == []


def test_moving_withdraws_the_old_sends_and_publishes_only_for_those_already_requested() -> None:
    r = reminder(NOW + 3 * DAY)
    r.schedule([NOW + DAY, NOW + 2 * DAY])
    requested = r.sends[0]
    requested.status = SendStatus.REQUESTED
    withdrawals = r.move(NOW + 5 * DAY, [NOW + 4 * DAY], NOW, "appointment_moved")
    assert [w.notification_id for w in withdrawals] == [requested.send_id]
    assert [s.status for s in r.sends] == [
        SendStatus.WITHDRAWN,
        SendStatus.WITHDRAWN,
        SendStatus.SCHEDULED,
    ]
    assert r.open_sends()[0].send_at == NOW + 4 * DAY
    assert r.due_at == NOW + 5 * DAY


def test_cancelling_leaves_nothing_to_send() -> None:
    r = reminder(NOW + 3 * DAY)
    r.schedule([NOW + 2 * DAY])
    assert r.cancel(NOW, "appointment_cancelled") == []
    assert r.status is Status.CANCELLED
    assert r.open_sends() == []
    assert r.sends[0].reason == "appointment_cancelled"


def test_sms_and_email_opt_outs_are_separate() -> None:
    both = ("email", "sms")
    assert wanted_channels(both, True, False) == ("email",)
    assert wanted_channels(both, False, True) == ("sms",)
    assert wanted_channels(both, False, False) == ()
    assert wanted_channels(both, None, None) == both
