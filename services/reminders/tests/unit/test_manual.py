"""A manual reminder is refused with a clear error for each rule it breaks."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from careflow.reminders.domain.contacts import ResidentContact
from careflow.reminders.domain.errors import DueDateInPast, NoContactForChannel, NoTimeToSend
from careflow.reminders.domain.manual import check_manual

NOW = datetime(2026, 12, 4, 8, 0, tzinfo=UTC)
NOTICE = timedelta(minutes=5)


def contact(*, email: bool = True, phone: bool = True) -> ResidentContact:
    return ResidentContact(uuid.uuid4(), email, phone, True, True, False, "fi", NOW)


def check(**overrides: object) -> None:
    fields: dict[str, object] = {
        "due_date": (NOW + timedelta(days=30)).date(),
        "send_times": [NOW + timedelta(days=20)],
        "channels": ("email", "sms"),
        "contact": contact(),
        "now": NOW,
        "min_notice": NOTICE,
    }
    check_manual(**(fields | overrides))  # type: ignore[arg-type]


def test_a_valid_manual_reminder_passes() -> None:
    check()
    check(due_date=NOW.date())  # due today is not in the past


def test_a_channel_without_contact_data_is_refused() -> None:
    with pytest.raises(NoContactForChannel) as refused:
        check(contact=contact(phone=False))
    assert refused.value.channel == "sms"
    with pytest.raises(NoContactForChannel):
        check(contact=None, channels=("email",))


def test_a_due_date_in_the_past_is_refused() -> None:
    with pytest.raises(DueDateInPast):
        check(due_date=(NOW - timedelta(days=1)).date())


def test_a_send_time_that_leaves_no_time_to_send_is_refused() -> None:
    with pytest.raises(NoTimeToSend):
        check(send_times=[NOW + timedelta(minutes=4)])
    with pytest.raises(NoTimeToSend):
        check(send_times=[NOW - timedelta(hours=1)])
    check(send_times=[NOW + NOTICE])
