"""What the use cases share: the clock and the service's policy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class Policy:
    #: A send must be at least this far ahead when saved (manual reminders) and an
    #: appointment this far ahead to still be told of.
    min_notice: timedelta = timedelta(minutes=5)
    #: Time of day (UTC) of a rule's sends.
    rule_send_time: time = time(7, 0)
