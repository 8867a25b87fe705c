"""Words that depend on the resident, not on the template: dates in their time zone."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

_MONTHS_EN = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]


def local_time(moment: datetime, time_zone: str) -> datetime:
    """`moment` on the wall clock of `time_zone`; an unknown zone falls back to UTC."""
    try:
        zone = ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return moment.astimezone(zone)


def deadline_text(moment: datetime, time_zone: str, language: str) -> str:
    """E.g. fi `25.11.2026 klo 14.30 (EET)`, sv `25.11.2026 kl. 13.30 (CET)`, en `25 November
    2026 at 14:30 (EET)`: the date people read in that language, zone abbreviation included."""
    local = local_time(moment, time_zone)
    zone = local.tzname() or time_zone
    if language == "fi":
        return f"{local.day}.{local.month}.{local.year} klo {local:%H.%M} ({zone})"
    if language == "sv":
        return f"{local.day}.{local.month}.{local.year} kl. {local:%H.%M} ({zone})"
    month = _MONTHS_EN[local.month - 1]
    return f"{local.day} {month} {local.year} at {local:%H:%M} ({zone})"
