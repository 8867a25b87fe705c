"""The README's consent matrix and example texts are what the code decides and renders."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime
from pathlib import Path

import pytest

from careflow.notification.application.planning import plan
from careflow.notification.domain.notification import NotificationRequest
from careflow.notification.domain.wording import deadline_text

from .builders import NOW, contact

README = (Path(__file__).parents[2] / "README.md").read_text()
LINK = "https://careflow.local/cases/3f2c0e4e-8d1a-4f6b-9c2e-5a7d1b0c9e11"


def matrix_rows() -> list[list[str]]:
    table = README.split("<!-- consent-matrix -->")[1].split("<!-- /consent-matrix -->")[0]
    lines = [line for line in table.strip().splitlines() if line.startswith("|")][2:]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines]


def outcome(cell: str) -> str | None:
    if cell == "sent":
        return None
    found = re.fullmatch(r"— `(\w+)`", cell)
    assert found, cell
    return found.group(1)


def test_the_matrix_covers_every_combination_once():
    combinations = {tuple(row[:5]) for row in matrix_rows()}
    assert len(matrix_rows()) == len(combinations) == 32


@pytest.mark.parametrize("row", matrix_rows(), ids=lambda row: "-".join(row[:5]))
def test_each_row_of_the_matrix_is_what_the_rules_decide(renderer, row):
    email, sms, phone, anonymous, withdrawn = (
        row[0] == "on",
        row[1] == "on",
        row[2].startswith("yes"),
        row[3] == "yes",
        row[4] == "yes",
    )
    resident = contact(
        email_opt_in=email,
        sms_opt_in=sms,
        phone_permission=phone,
        anonymous=anonymous,
        withdrawn_at=NOW if withdrawn else None,
    )
    case_id = uuid.uuid4()
    wanted = NotificationRequest(
        notification_id=uuid.uuid4(),
        resident_id=resident.resident_id,
        purpose="task",
        channels=("email", "sms"),
        link=f"https://careflow.local/cases/{case_id}",
        received_at=NOW,
        case_id=case_id,
    )
    decided = {
        d.channel: d.reason
        for d in plan(wanted, resident, renderer, now=NOW, default_time_zone="Europe/Helsinki")
    }
    assert decided == {"email": outcome(row[5]), "sms": outcome(row[6])}


def example(language: str, channel: str) -> str:
    block = README.split(f"<!-- text {language} {channel} -->")[1]
    return block.split("```text\n", 1)[1].split("\n```", 1)[0]


@pytest.mark.parametrize(
    ("language", "zone"),
    [("fi", "Europe/Helsinki"), ("sv", "Europe/Stockholm"), ("en", "Europe/Helsinki")],
)
def test_the_example_texts_are_the_rendered_ones(renderer, language, zone):
    deadline = deadline_text(datetime(2026, 11, 25, 12, 30, tzinfo=UTC), zone, language)
    mail = renderer.render("closing_proposed", language, "email", link=LINK, deadline=deadline)
    sms = renderer.render("closing_proposed", language, "sms", link=LINK, deadline=deadline)
    assert example(language, "email") == f"Subject: {mail.subject}\n\n{mail.body}"
    assert example(language, "sms") == sms.body
