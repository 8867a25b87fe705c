"""Parameter types every API shares."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


#: A point in time in a query string: RFC 3339 with its offset ("Z", "+02:00"),
#: read as UTC. A time without an offset is refused (422): the server would
#: have to guess whose midnight "2025-03-04T00:00:00" is.
Instant = Annotated[
    AwareDatetime,
    AfterValidator(_in_utc),
    Field(description="RFC 3339 date-time with a time zone offset, e.g. 2025-03-04T08:30:00Z."),
]
