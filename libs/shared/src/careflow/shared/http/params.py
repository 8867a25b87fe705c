"""Parameter types every API shares."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, Field

# RFC 3339 §5.6 date-time. Pydantic alone would also read "0.5" or "1700000000"
# as seconds since 1970, which no caller of a CareFlow API means.
_RFC3339 = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})", re.ASCII
)


def _rfc3339(value: Any) -> Any:
    if isinstance(value, str) and not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 date-time with an offset, e.g. 2025-03-04T08:30:00Z")
    return value


def _in_utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


#: A point in time in a query string: RFC 3339 with its offset ("Z", "+02:00"),
#: read as UTC. A time without an offset is refused (422): the server would
#: have to guess whose midnight "2025-03-04T00:00:00" is.
Instant = Annotated[
    AwareDatetime,
    BeforeValidator(_rfc3339),
    AfterValidator(_in_utc),
    Field(description="RFC 3339 date-time with a time zone offset, e.g. 2025-03-04T08:30:00Z."),
]
