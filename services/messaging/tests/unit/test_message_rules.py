"""The rules of case messages: text, links, who may write, objection window, send limit."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from careflow.messaging.domain.errors import InvalidRequest, InvalidState, SendLimitReached
from careflow.messaging.domain.messages import (
    MAX_BODY_CHARS,
    CaseFacts,
    SendLimit,
    message_body,
)

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def case(**overrides: object) -> CaseFacts:
    fields: dict[str, object] = {
        "case_id": uuid.uuid4(),
        "resident_id": uuid.uuid4(),
        "organisation_id": "org-1",
        "language": "fi",
        "identification": "identified",
        "updated_at": NOW,
    }
    return CaseFacts(**(fields | overrides))  # type: ignore[arg-type]


def test_a_message_is_kept_trimmed() -> None:
    assert message_body("  Hei, kiitos!\n") == "Hei, kiitos!"


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_a_message_without_text_is_refused(text: str) -> None:
    with pytest.raises(InvalidRequest):
        message_body(text)


def test_five_thousand_characters_pass_and_one_more_is_refused() -> None:
    assert len(message_body("a" * MAX_BODY_CHARS)) == MAX_BODY_CHARS
    with pytest.raises(InvalidRequest):
        message_body("a" * (MAX_BODY_CHARS + 1))


@pytest.mark.parametrize(
    "text",
    [
        "see https://example.org/a?b=c",
        "see http://example.org",
        "at 10:30 please",
        "Note: fever gone",
        "ratio 1:2",
    ],
)
def test_http_links_and_plain_colons_pass(text: str) -> None:
    assert message_body(text) == text


@pytest.mark.parametrize(
    "text",
    [
        "click javascript:alert(1)",
        "ftp://files.example.org/x",
        "data:text/html;base64,PHNjcmlwdD4=",
        "mail mailto:a@example.org",
        "see HTTPS://ok.example and FILE:///etc/passwd",
        "custom+app://open",
    ],
)
def test_links_other_than_http_and_https_are_refused(text: str) -> None:
    with pytest.raises(InvalidRequest):
        message_body(text)


def test_nobody_writes_on_an_anonymous_submission() -> None:
    with pytest.raises(InvalidState):
        case(identification="anonymous").check_writable()


def test_nobody_writes_on_a_case_closed_without_consent() -> None:
    closed = case().closed("professional_without_consent", NOW)
    with pytest.raises(InvalidState):
        closed.check_writable()
    closed.check_readable()  # still readable


def test_a_closed_case_stays_readable_but_takes_no_more_messages() -> None:
    closed = case().closed("resident_accepted", NOW)
    closed.check_readable()
    with pytest.raises(InvalidState):
        closed.check_writable()


def test_an_objection_names_the_open_proposal_until_its_deadline() -> None:
    proposal = uuid.uuid4()
    proposed = case().proposed(proposal, NOW + timedelta(hours=72), NOW)
    assert proposed.objectable_proposal(NOW + timedelta(hours=71, minutes=59)) == proposal
    with pytest.raises(InvalidState):
        proposed.objectable_proposal(NOW + timedelta(hours=72))


def test_the_residents_own_proposal_is_nothing_to_object_to() -> None:
    with pytest.raises(InvalidState):
        case().proposed(uuid.uuid4(), None, NOW).objectable_proposal(NOW)


def test_a_settled_proposal_is_nothing_to_object_to() -> None:
    proposal = uuid.uuid4()
    settled = (
        case().proposed(proposal, NOW + timedelta(hours=72), NOW).proposal_settled(proposal, NOW)
    )
    with pytest.raises(InvalidState):
        settled.objectable_proposal(NOW)


def test_the_send_limit_says_when_the_oldest_counted_message_leaves_the_window() -> None:
    limit = SendLimit(3, timedelta(seconds=60))
    limit.check([NOW - timedelta(seconds=50), NOW - timedelta(seconds=10)], NOW)
    with pytest.raises(SendLimitReached) as refused:
        limit.check(
            [NOW - timedelta(seconds=50), NOW - timedelta(seconds=20), NOW - timedelta(seconds=10)],
            NOW,
        )
    assert refused.value.retry_after == 10


def test_messages_older_than_the_window_do_not_count() -> None:
    limit = SendLimit(2, timedelta(seconds=60))
    limit.check([NOW - timedelta(seconds=61), NOW - timedelta(seconds=70), NOW], NOW)
