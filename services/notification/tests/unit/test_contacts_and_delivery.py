"""The contact projection's ordering rules and the life of one delivery."""

from __future__ import annotations

import uuid
from datetime import timedelta

from careflow.notification.domain.contacts import ResidentContact
from careflow.notification.domain.delivery import Delivery, RetryPolicy

from .builders import NOW


def consents(contact: ResidentContact, at, **fields) -> bool:  # type: ignore[no-untyped-def]
    values = {
        "anonymous": False,
        "email_opt_in": True,
        "sms_opt_in": True,
        "phone_permission": True,
        "language": "sv",
        "time_zone": "Europe/Stockholm",
        "has_email": True,
        "has_phone": True,
    }
    return contact.apply_consents(at=at, **(values | fields))


def test_withdrawing_the_service_consents_ends_phone_permission_at_once():
    resident = ResidentContact(uuid.uuid4())
    consents(resident, NOW)
    resident.withdraw_service_consents(NOW + timedelta(minutes=1))
    assert resident.withdrawn
    assert not resident.phone_permission


def test_a_consent_update_older_than_the_withdrawal_does_not_restore_phone_permission():
    resident = ResidentContact(uuid.uuid4())
    resident.withdraw_service_consents(NOW)
    consents(resident, NOW - timedelta(minutes=1))  # arrived late, happened before
    assert resident.withdrawn
    assert not resident.phone_permission


def test_consents_given_again_after_a_withdrawal_hold():
    resident = ResidentContact(uuid.uuid4())
    consents(resident, NOW)
    resident.withdraw_service_consents(NOW + timedelta(minutes=1))
    consents(resident, NOW + timedelta(minutes=2))
    assert not resident.withdrawn
    assert resident.phone_permission


def test_a_stale_event_changes_nothing():
    resident = ResidentContact(uuid.uuid4())
    consents(resident, NOW, email_opt_in=False)
    assert not consents(resident, NOW - timedelta(seconds=1), email_opt_in=True)
    assert not resident.email_opt_in
    resident.apply_details(email="a@example.org", phone=None, language="fi", at=NOW)
    resident.apply_details(email=None, phone=None, language="en", at=NOW - timedelta(hours=1))
    assert resident.email == "a@example.org"


def test_a_later_event_without_an_address_forgets_it():
    resident = ResidentContact(uuid.uuid4())
    resident.apply_details(email="a@example.org", phone="+358401234567", language="fi", at=NOW)
    resident.apply_details(email=None, phone=None, language="fi", at=NOW + timedelta(seconds=1))
    assert (resident.email, resident.phone) == (None, None)


def delivery() -> Delivery:
    return Delivery.queue(
        delivery_id=uuid.uuid4(), notification_id=uuid.uuid4(), channel="sms", created_at=NOW
    )


POLICY = RetryPolicy(timedelta(seconds=2), timedelta(seconds=30), timedelta(hours=1))


def test_a_transient_failure_backs_off_exponentially_and_keeps_every_step():
    d = delivery()
    for n, wait in enumerate([2, 4, 8, 16, 30, 30], start=1):
        d.retry_later("sms_500", NOW, POLICY)
        assert (d.status, d.attempts, d.next_attempt_at) == (
            "retrying",
            n,
            NOW + timedelta(seconds=wait),
        )
    d.mark_sent(NOW + timedelta(minutes=5), "ref-1")
    assert [s.status for s in d.history] == ["queued"] + ["retrying"] * 6 + ["sent"]
    assert d.attempts == 7


def test_a_permanent_failure_is_recorded_and_never_retried():
    d = delivery()
    d.fail("sms_400", NOW)
    assert (d.status, d.reason, d.next_attempt_at, d.is_open) == ("failed", "sms_400", None, False)


def test_an_outage_longer_than_the_give_up_time_ends_as_failed():
    d = delivery()
    d.retry_later("smtp_unavailable", NOW + timedelta(hours=2), POLICY)
    assert (d.status, d.reason) == ("failed", "gave_up:smtp_unavailable")
