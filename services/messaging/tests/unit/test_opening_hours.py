from datetime import UTC, date, datetime

import pytest

from careflow.messaging.domain.chat_errors import InvalidChatRequest
from careflow.messaging.domain.opening_hours import Interval, OpeningHours

HELSINKI = "Europe/Helsinki"


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _weekdays(start: str = "08:00", end: str = "16:00") -> OpeningHours:
    return OpeningHours(HELSINKI, {day: (Interval.parse(start, end),) for day in range(5)})


def test_a_channel_is_open_at_exactly_its_opening_minute_and_not_a_microsecond_before():
    hours = _weekdays()  # 2026-12-07 is a Monday; Helsinki is UTC+2 in December
    assert hours.is_open_at(_at("2026-12-07T08:00:00+02:00"))
    assert not hours.is_open_at(_at("2026-12-07T07:59:59.999999+02:00"))


def test_a_channel_is_closed_at_exactly_its_closing_minute():
    hours = _weekdays()
    assert hours.is_open_at(_at("2026-12-07T15:59:59.999999+02:00"))
    assert not hours.is_open_at(_at("2026-12-07T16:00:00+02:00"))


def test_the_hours_are_read_on_the_channels_wall_clock_not_utc():
    hours = _weekdays()
    assert hours.is_open_at(_at("2026-12-07T06:00:00+00:00"))  # 08:00 in Helsinki
    assert not hours.is_open_at(_at("2026-12-07T05:59:00+00:00"))


def test_the_next_change_is_the_closing_instant_then_the_next_mornings_opening():
    hours = _weekdays()
    assert hours.next_change_after(_at("2026-12-07T09:00:00+02:00")) == _at(
        "2026-12-07T16:00:00+02:00"
    )
    # Friday after closing: the next change is Monday morning.
    assert hours.next_change_after(_at("2026-12-11T16:00:00+02:00")) == _at(
        "2026-12-14T08:00:00+02:00"
    )


def test_an_exception_closes_a_whole_weekday():
    hours = OpeningHours(
        HELSINKI,
        {day: (Interval.parse("08:00", "16:00"),) for day in range(5)},
        {date(2026, 12, 24): ()},
    )
    assert not hours.is_open_at(_at("2026-12-24T10:00:00+02:00"))
    assert hours.next_change_after(_at("2026-12-23T12:00:00+02:00")) == _at(
        "2026-12-23T16:00:00+02:00"
    )
    assert hours.next_change_after(_at("2026-12-23T16:00:00+02:00")) == _at(
        "2026-12-25T08:00:00+02:00"
    )


def test_an_exception_opens_a_sunday_with_its_own_hours():
    hours = OpeningHours(HELSINKI, {}, {date(2026, 12, 13): (Interval.parse("10:00", "12:00"),)})
    assert hours.is_open_at(_at("2026-12-13T10:00:00+02:00"))
    assert not hours.is_open_at(_at("2026-12-13T12:00:00+02:00"))
    assert hours.next_change_after(_at("2026-12-12T00:00:00+02:00")) == _at(
        "2026-12-13T10:00:00+02:00"
    )


def test_an_opening_to_midnight_joined_by_one_from_midnight_has_no_change_at_midnight():
    hours = OpeningHours(
        HELSINKI,
        {0: (Interval.parse("20:00", "24:00"),), 1: (Interval.parse("00:00", "08:00"),)},
    )
    assert hours.is_open_at(_at("2026-12-08T00:00:00+02:00"))
    assert hours.next_change_after(_at("2026-12-07T21:00:00+02:00")) == _at(
        "2026-12-08T08:00:00+02:00"
    )


def test_the_daylight_saving_change_keeps_the_wall_clock_opening():
    hours = OpeningHours(HELSINKI, {day: (Interval.parse("08:00", "16:00"),) for day in range(7)})
    # Helsinki moves to UTC+3 on 2027-03-28: 08:00 local is 05:00 UTC that day.
    assert hours.next_change_after(_at("2027-03-28T00:00:00+02:00")) == datetime(
        2027, 3, 28, 5, 0, tzinfo=UTC
    )


def test_a_schedule_that_never_opens_never_changes():
    assert OpeningHours(HELSINKI).next_change_after(_at("2026-12-07T09:00:00+02:00")) is None


@pytest.mark.parametrize(
    ("start", "end"), [("24:00", "08:00"), ("8:00", "16:00"), ("24:30", "25:00"), ("x", "y")]
)
def test_an_opening_that_is_no_time_of_day_is_refused(start, end):
    with pytest.raises(InvalidChatRequest):
        Interval.parse(start, end)


def test_overlapping_openings_make_one_opening_from_the_first_start_to_the_last_end():
    hours = OpeningHours(
        HELSINKI, {0: (Interval.parse("08:00", "12:00"), Interval.parse("11:00", "13:00"))}
    )
    assert hours.is_open_at(_at("2026-12-07T12:30:00+02:00"))
    assert hours.next_change_after(_at("2026-12-07T09:00:00+02:00")) == _at(
        "2026-12-07T13:00:00+02:00"
    )


def test_an_opening_that_closes_before_it_opens_runs_past_midnight_even_into_an_exception():
    hours = OpeningHours(
        HELSINKI, {0: (Interval.parse("22:00", "06:00"),)}, {date(2026, 12, 8): ()}
    )
    assert hours.is_open_at(_at("2026-12-08T05:59:59+02:00"))
    assert not hours.is_open_at(_at("2026-12-08T06:00:00+02:00"))
    assert hours.next_change_after(_at("2026-12-08T01:00:00+02:00")) == _at(
        "2026-12-08T06:00:00+02:00"
    )


def test_an_opening_that_closes_when_it_opens_lasts_24_hours():
    hours = OpeningHours(HELSINKI, {0: (Interval.parse("08:00", "08:00"),)})
    assert hours.is_open_at(_at("2026-12-08T07:59:00+02:00"))
    assert hours.next_change_after(_at("2026-12-07T09:00:00+02:00")) == _at(
        "2026-12-08T08:00:00+02:00"
    )


def test_an_unknown_time_zone_is_refused():
    with pytest.raises(InvalidChatRequest):
        OpeningHours("Mars/Olympus")
