"""Contact values matched whole, and the limits of a form's answers."""

from __future__ import annotations

from typing import Any

import pytest

from careflow.intake.domain.errors import InvalidInput
from careflow.intake.domain.forms import AnswerLimits, check_answers
from careflow.intake.domain.text import email_address, phone_number, plain_text

LIMITS = AnswerLimits(max_answers=3, max_values=10, max_text=5, max_key=4, max_depth=2)


@pytest.mark.parametrize("value", ["alice@example.fi\n", "alice@example.fi\r\n", "\nalice@x.fi"])
def test_an_email_with_anything_around_it_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="email"):
        email_address(value)


@pytest.mark.parametrize("value", ["+358401234567\n", "+358401234567 ", "x+358401234567"])
def test_a_phone_with_anything_around_it_is_refused(value: str) -> None:
    with pytest.raises(InvalidInput, match="phone"):
        phone_number(value)


def test_whole_values_pass() -> None:
    assert email_address("alice@example.fi") == "alice@example.fi"
    assert phone_number("+358401234567") == "+358401234567"


@pytest.mark.parametrize("text", ["a\x00b", "a\x1bb", "a\x7fb"])
def test_plain_text_refuses_control_characters_but_keeps_line_breaks(text: str) -> None:
    with pytest.raises(InvalidInput, match="control characters"):
        plain_text(text, field="goal", max_length=100)
    assert plain_text("one\ntwo\tthree", field="goal", max_length=100) == "one\ntwo\tthree"


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"a": 1, "b": 2, "c": 3, "d": 4}, "at most 3 answers"),
        ({"a": "123456"}, "longer than 5"),
        ({"a": [[["x"]]]}, "2 levels"),
        ({"a": list(range(10))}, "10 values"),
        ({"abcde": 1}, "question id is longer"),
        ({"a": {"abcde": 1}}, "question id is longer"),
        ({"a": float("nan")}, "finite"),
        ({"a": "x\x00"}, "control characters"),
        ({"a\x00": 1}, "control characters"),
    ],
)
def test_answers_over_a_limit_are_refused(answers: dict[str, Any], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        check_answers(answers, LIMITS)


def test_answers_at_the_limits_pass() -> None:
    check_answers({"a": "12345", "b": [{"c": 1.5}], "abcd": None}, LIMITS)
    check_answers({"a": list(range(9))}, LIMITS)
    check_answers(None, LIMITS)
