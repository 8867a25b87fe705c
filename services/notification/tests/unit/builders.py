"""Builders for unit tests: every test makes its own ids."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from careflow.notification.application.ports import Links
from careflow.notification.domain.contacts import ResidentContact

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
LINKS = Links("https://careflow.example", "https://desktop.careflow.example")


def contact(**fields: object) -> ResidentContact:
    values: dict[str, object] = {
        "resident_id": uuid.uuid4(),
        "consents_known": True,
        "email_opt_in": True,
        "sms_opt_in": True,
        "has_email": True,
        "has_phone": True,
        "email": "resident@example.org",
        "phone": "+358401234567",
        "language": "fi",
    }
    return ResidentContact(**(values | fields))  # type: ignore[arg-type]
