"""A channel's weekly opening hours with dated exceptions, read on the channel's wall clock.

Boundary semantics (tested at the instant): every interval is half-open,
`[opens, closes)` in local time — the channel is open at exactly its opening
minute and closed at exactly its closing minute. `closes` may be 24:00 (the end
of the day); an interval ending at 24:00 followed by one starting at 00:00 the
next day is one uninterrupted opening, with no change at midnight. A `closes`
at or before `opens` runs past midnight ("22:00-06:00"; "08:00-08:00" is 24
hours): an opening belongs to the day it starts on. Openings may overlap: the
channel is open while any of them is.

An exception replaces the weekly hours of its date (an empty list closes the
whole day); an opening of the day before that runs past midnight still runs.
Local times are turned into instants with the channel's IANA time zone; a
boundary inside a skipped daylight-saving hour takes effect when the wall clock
has moved past it (zoneinfo's `fold=0` reading), and the clock that decides is
always the caller's `now`, never the machine's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from careflow.messaging.domain.chat_errors import InvalidChatRequest

MINUTES_PER_DAY = 24 * 60
MAX_INTERVALS_PER_DAY = 64
MAX_EXCEPTIONS = 366
#: How far ahead the next change is looked for; beyond it the schedule is "never changes".
SEARCH_DAYS = 400


@dataclass(frozen=True, order=True)
class Interval:
    """One opening starting on a day: `[start, end)` in minutes after that day's local
    midnight; end 1440 = 24:00, beyond it the opening runs into the next day."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if (
            not 0 <= self.start < MINUTES_PER_DAY
            or not self.start < self.end <= self.start + MINUTES_PER_DAY
        ):
            raise InvalidChatRequest("An opening starts within its day and lasts at most 24 hours.")

    @classmethod
    def parse(cls, start: str, end: str) -> Interval:
        """From "HH:MM" strings; the end may be "24:00", and at or before the start it is
        the next day's."""
        opens, closes = _minutes(start), _minutes(end)
        if opens == MINUTES_PER_DAY:
            raise InvalidChatRequest("An opening starts at 23:59 at the latest.")
        return cls(opens, closes if closes > opens else closes + MINUTES_PER_DAY)

    def label(self) -> tuple[str, str]:
        return _label(self.start), _label(
            self.end if self.end <= MINUTES_PER_DAY else self.end - MINUTES_PER_DAY
        )


def _minutes(text: str) -> int:
    try:
        hours, minutes = text.split(":")
        value = int(hours) * 60 + int(minutes)
        valid = len(hours) == 2 and len(minutes) == 2 and 0 <= int(minutes) < 60
    except ValueError:
        valid, value = False, -1
    if not valid or not 0 <= value <= MINUTES_PER_DAY:
        raise InvalidChatRequest("A time of day is written HH:MM, 00:00-24:00.")
    return value


def _label(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _checked_day(intervals: tuple[Interval, ...]) -> tuple[Interval, ...]:
    ordered = tuple(sorted(set(intervals)))
    if len(ordered) > MAX_INTERVALS_PER_DAY:
        raise InvalidChatRequest(f"At most {MAX_INTERVALS_PER_DAY} openings a day.")
    return ordered


@dataclass(frozen=True)
class OpeningHours:
    """Weekly hours (0 = Monday) with dated exceptions, in one time zone."""

    time_zone: str
    weekly: Mapping[int, tuple[Interval, ...]] = field(default_factory=dict)
    exceptions: Mapping[date, tuple[Interval, ...]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidChatRequest("Unknown time zone.") from None
        if any(day not in range(7) for day in self.weekly):
            raise InvalidChatRequest("Weekdays are 0 (Monday) to 6 (Sunday).")
        if len(self.exceptions) > MAX_EXCEPTIONS:
            raise InvalidChatRequest(f"At most {MAX_EXCEPTIONS} exceptions.")
        object.__setattr__(
            self, "weekly", {day: _checked_day(tuple(v)) for day, v in self.weekly.items()}
        )
        object.__setattr__(
            self, "exceptions", {day: _checked_day(tuple(v)) for day, v in self.exceptions.items()}
        )

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The openings of a local date: its exception if it has one, else its weekday's."""
        if day in self.exceptions:
            return self.exceptions[day]
        return self.weekly.get(day.weekday(), ())

    def is_open_at(self, at: datetime) -> bool:
        """Whether the schedule says open at the instant `at` (aware)."""
        local = at.astimezone(self.zone)
        seconds = local.hour * 3600 + local.minute * 60 + local.second + local.microsecond / 1e6
        today = local.date()
        if any(i.start * 60 <= seconds < i.end * 60 for i in self.intervals_on(today)):
            return True
        spill = seconds + MINUTES_PER_DAY * 60  # the same instant on yesterday's scale
        yesterday = self.intervals_on(today - timedelta(days=1))
        return any(i.start * 60 <= spill < i.end * 60 for i in yesterday)

    def next_change_after(self, at: datetime) -> datetime | None:
        """The first instant after `at` where the schedule's open/closed differs, or None."""
        now_open = self.is_open_at(at)
        # From the day before: an opening of yesterday may end today.
        first = at.astimezone(self.zone).date() - timedelta(days=1)
        for offset in range(SEARCH_DAYS):
            day = first + timedelta(days=offset)
            for instant in sorted(self._boundaries(day)):
                if instant > at and self.is_open_at(instant) != now_open:
                    return instant
        return None

    def _boundaries(self, day: date) -> set[datetime]:
        instants = set()
        for interval in self.intervals_on(day):
            for minute in (interval.start, interval.end):
                instants.add(self._instant(day, minute))
        # Midnight is a boundary whenever the day has no opening: an exception may close it.
        instants.add(self._instant(day, 0))
        return instants

    def _instant(self, day: date, minute: int) -> datetime:
        local_day = day + timedelta(days=minute // MINUTES_PER_DAY)
        minute %= MINUTES_PER_DAY
        wall = datetime.combine(local_day, time(minute // 60, minute % 60), tzinfo=self.zone)
        return wall.astimezone(UTC)
