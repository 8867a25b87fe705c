"""The due colour from the due date only, at its boundaries, with an injected today."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from careflow.reminders.domain.due_status import DueColour, due_colour, due_range

TODAY = date(2026, 12, 4)


@pytest.mark.parametrize(
    ("days", "colour"),
    [
        (365, DueColour.BLACK),
        (31, DueColour.BLACK),
        (30, DueColour.YELLOW),
        (1, DueColour.YELLOW),
        (0, DueColour.YELLOW),
        (-1, DueColour.RED),
        (-400, DueColour.RED),
    ],
)
def test_the_colour_of_a_due_date_days_from_today(days: int, colour: DueColour) -> None:
    assert due_colour(TODAY + timedelta(days=days), TODAY) is colour


@pytest.mark.parametrize("colour", list(DueColour))
def test_each_colours_due_range_holds_exactly_the_dates_of_that_colour(colour: DueColour) -> None:
    low, high = due_range(colour, TODAY)
    for days in range(-40, 60):
        day = TODAY + timedelta(days=days)
        inside = (low is None or day >= low) and (high is None or day <= high)
        assert inside == (due_colour(day, TODAY) is colour), days
