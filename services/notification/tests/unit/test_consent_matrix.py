"""The consent matrix: email x SMS x phone permission x anonymous x withdrawn, every language.

For each combination: which channels go out with exactly which text, and which
are suppressed with which reason.
"""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, datetime

import pytest

from careflow.notification.application.planning import plan
from careflow.notification.domain.notification import NotificationRequest

from .builders import LINKS, NOW, contact
from .test_texts import expected_email, expected_sms

MATRIX = list(itertools.product([True, False], repeat=5))


def expected(email: bool, sms: bool, anonymous: bool, withdrawn: bool) -> dict[str, str | None]:
    """The rule written out independently of the code: None = sent, else the reason."""
    if withdrawn:
        return {"email": "service_consents_withdrawn", "sms": "service_consents_withdrawn"}
    if anonymous:
        return {"email": "anonymous_resident", "sms": "anonymous_resident"}
    return {
        "email": None if email else "email_notifications_off",
        "sms": None if sms else "sms_notifications_off",
    }


def request(purpose: str = "task", **fields: object) -> NotificationRequest:
    case_id = uuid.uuid4()
    values: dict[str, object] = {
        "notification_id": uuid.uuid4(),
        "resident_id": uuid.uuid4(),
        "purpose": purpose,
        "channels": ("email", "sms"),
        "link": LINKS.for_target("case", case_id),
        "received_at": NOW,
        "case_id": case_id,
    }
    return NotificationRequest(**(values | fields))  # type: ignore[arg-type]


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
@pytest.mark.parametrize(
    ("email", "sms", "phone", "anonymous", "withdrawn"),
    MATRIX,
    ids=lambda v: "on" if v else "off",
)
def test_consents_decide_channel_by_channel_with_the_exact_text(
    renderer, language, email, sms, phone, anonymous, withdrawn
):
    resident = contact(
        language=language,
        email_opt_in=email,
        sms_opt_in=sms,
        phone_permission=phone and not anonymous,
        anonymous=anonymous,
        withdrawn_at=NOW if withdrawn else None,
    )
    wanted = request()
    deliveries = {
        d.channel: d
        for d in plan(wanted, resident, renderer, now=NOW, default_time_zone="Europe/Helsinki")
    }
    rule = expected(email, sms, anonymous, withdrawn)
    for channel in ("email", "sms"):
        delivery = deliveries[channel]
        if rule[channel] is None:
            assert (delivery.status, delivery.reason) == ("queued", None)
        else:
            assert (delivery.status, delivery.reason) == ("suppressed", rule[channel])
            assert [s.status for s in delivery.history] == ["suppressed"]
    link = wanted.link
    if rule["email"] is None:
        mail = deliveries["email"]
        assert (mail.subject, mail.body) == expected_email(language, "task", link)
    if rule["sms"] is None:
        assert deliveries["sms"].body == expected_sms(language, "task", link)


def test_phone_permission_alone_never_enables_sms(renderer):
    resident = contact(sms_opt_in=False, phone_permission=True)
    [_, sms] = plan(request(), resident, renderer, now=NOW, default_time_zone="Europe/Helsinki")
    assert (sms.status, sms.reason) == ("suppressed", "sms_notifications_off")


def test_a_missing_address_suppresses_that_channel_only(renderer):
    resident = contact(has_phone=False, phone=None)
    [mail, sms] = plan(request(), resident, renderer, now=NOW, default_time_zone="Europe/Helsinki")
    assert mail.status == "queued"
    assert (sms.status, sms.reason) == ("suppressed", "no_phone_number")


def test_an_unknown_resident_is_suppressed_with_the_reason(renderer):
    deliveries = plan(request(), None, renderer, now=NOW, default_time_zone="Europe/Helsinki")
    assert {(d.status, d.reason) for d in deliveries} == {("suppressed", "unknown_resident")}


@pytest.mark.parametrize(
    ("zone", "language", "deadline_text"),
    [
        ("Europe/Helsinki", "fi", "25.11.2026 klo 14.30 (EET)"),
        ("Europe/Stockholm", "sv", "25.11.2026 kl. 13.30 (CET)"),
        (None, "en", "25 November 2026 at 14:30 (EET)"),  # the default zone: Helsinki
    ],
)
def test_a_closing_proposal_states_the_72_hours_and_the_deadline_in_the_residents_zone(
    renderer, zone, language, deadline_text
):
    deadline = datetime(2026, 11, 25, 12, 30, tzinfo=UTC)
    resident = contact(language=language, time_zone=zone)
    wanted = request("closing_proposed", deadline=deadline)
    [mail, sms] = plan(wanted, resident, renderer, now=NOW, default_time_zone="Europe/Helsinki")
    subject, body = expected_email(language, "closing_proposed", wanted.link)
    assert (mail.subject, mail.body) == (subject, body.replace("<deadline>", deadline_text))
    assert "72" in sms.body
    assert deadline_text in sms.body


def test_a_not_before_time_holds_the_message_until_then(renderer):
    later = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
    [mail, _] = plan(
        request(not_before=later), contact(), renderer, now=NOW, default_time_zone="UTC"
    )
    assert mail.next_attempt_at == later
