"""Reminder texts per language, versioned: a change is a new version, never an edit.

A text may name `{due_date}` and `{appointment_time}`; nothing else is filled in,
so a template cannot reach data it was not given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

_PLACEHOLDER = re.compile(r"\{(due_date|appointment_time)\}")


@dataclass(frozen=True)
class TemplateText:
    template_id: UUID
    language: str
    version: int
    text: str
    created_at: datetime


def render(text: str, due_at: datetime) -> str:
    values = {
        "due_date": due_at.strftime("%d.%m.%Y"),
        "appointment_time": due_at.strftime("%d.%m.%Y %H:%M UTC"),
    }
    return _PLACEHOLDER.sub(lambda m: values[m.group(1)], text)
