"""The due-date colour (domain.md "Reminders"): from the due date only, never from sending."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum

#: Due in this many days or more: still black; fewer: yellow.
BLACK_FROM_DAYS = 31


class DueColour(StrEnum):
    BLACK = "black"  # due in 31 days or more
    YELLOW = "yellow"  # due within the next 30 days, today included
    RED = "red"  # overdue


def due_colour(due_date: date, today: date) -> DueColour:
    days = (due_date - today).days
    if days < 0:
        return DueColour.RED
    if days >= BLACK_FROM_DAYS:
        return DueColour.BLACK
    return DueColour.YELLOW


def due_range(colour: DueColour, today: date) -> tuple[date | None, date | None]:
    """The due dates of one colour as an inclusive range (None = open): list filters."""
    if colour is DueColour.RED:
        return None, today - timedelta(days=1)
    if colour is DueColour.YELLOW:
        return today, today + timedelta(days=BLACK_FROM_DAYS - 1)
    return today + timedelta(days=BLACK_FROM_DAYS), None
