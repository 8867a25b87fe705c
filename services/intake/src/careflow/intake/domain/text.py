"""Rules for free text a case holds (goals, tasks, summaries) and for contact values."""

from __future__ import annotations

import re
from datetime import date

from careflow.intake.domain.errors import InvalidInput

GOAL_MAX = 1000
TASK_MAX = 4000
SUMMARY_MAX = 4000
CLOSING_REASON_MAX = 1000

_MARKUP = re.compile(r"<\s*/?\s*[a-zA-Z!][^>]*>|&[a-zA-Z#0-9]+;")
_SCHEMED = re.compile(r"\b([a-zA-Z][a-zA-Z0-9+.-]*):(//)?[^\s]*")
_SAFE_SCHEMES = {"http", "https"}
# Schemes that run or embed content; a link with them is never accepted.
_DANGEROUS_SCHEMES = {"javascript", "data", "vbscript", "file", "ftp", "blob"}
# Matched with fullmatch: `$` also matches before a trailing newline, so "a@b.fi\n"
# passed here, then failed the contract's stricter pattern as a 500.
_PHONE = re.compile(r"\+[1-9][0-9]{6,14}")
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s]+")
# C0 controls (NUL among them: PostgreSQL text cannot hold it) and DEL; tab and line
# breaks are text.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def plain_text(value: str, *, field: str, max_length: int) -> str:
    """Trimmed plain text: not empty, at most `max_length` characters, no markup."""
    text = value.strip()
    if not text:
        raise InvalidInput(f"{field} must not be empty")
    if len(text) > max_length:
        raise InvalidInput(f"{field} is longer than {max_length} characters")
    if _MARKUP.search(text):
        raise InvalidInput(f"{field} must be plain text without markup")
    if has_control_characters(text):
        raise InvalidInput(f"{field} must not contain control characters")
    return text


def has_control_characters(value: str) -> bool:
    return _CONTROL.search(value) is not None


def only_web_links(value: str, *, field: str) -> str:
    """Links in the text must be http(s); other URI schemes are refused."""
    for match in _SCHEMED.finditer(value):
        scheme = match.group(1).lower()
        if scheme in _SAFE_SCHEMES:
            continue
        if match.group(2) or scheme in _DANGEROUS_SCHEMES:
            raise InvalidInput(f"links in {field} must be http or https")
    return value


def phone_number(value: str) -> str:
    if not _PHONE.fullmatch(value):
        raise InvalidInput("phone must be an E.164 number, e.g. +358401234567")
    return value


def email_address(value: str) -> str:
    if len(value) > 254 or not _EMAIL.fullmatch(value):
        raise InvalidInput("email is not a valid address")
    return value


def age_on(birth_date: date, day: date) -> int:
    """Completed years on `day` (a 29 February birthday completes a year on 1 March)."""
    years = day.year - birth_date.year
    if (day.month, day.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years
