"""The audit query every service takes and the page every service answers with.

Pages are keyset pages over (`at`, `id`), newest first: the cursor names the last
record shown, and the next page holds the records strictly before it. A record
inserted while someone walks the pages never shifts a page boundary, so no record
is shown twice and none that was there when the walk passed its place is skipped
(offset paging did both). Records with equal times are told apart by `id`.

The cursor is opaque to clients and not signed: it is only a position, and the
organisation and filters come from the token and the query, never from it.
"""

from __future__ import annotations

import base64
import re
import struct
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from careflow.shared.audit.purposes import Purpose

DEFAULT_LIMIT = 100
#: Most records one page holds, in every service (a gateway asks each for a full page).
MAX_LIMIT = 500

#: "a1" (audit, format 1) and 16 bytes in base64url: microseconds since the epoch and
#: the record id, both signed 64-bit. Every text the pattern admits names a position
#: (an instant out of range is read as the earliest or latest one), so a client — or
#: a fuzzer holding the OpenAPI — can send no well-formed cursor that is refused; the
#: last character carries 2 bits, so the pattern admits one spelling per position.
CURSOR_PATTERN = r"^a1[A-Za-z0-9_-]{21}[AQgw]$"
MAX_CURSOR_LENGTH = 24
_CURSOR = re.compile(CURSOR_PATTERN)
_LAYOUT = struct.Struct(">qq")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


class InvalidCursor(ValueError):
    """The text is not a cursor of this contract (its message never quotes it)."""


@dataclass(frozen=True)
class AuditCursor:
    """A position in an audit log: just after the record (`at`, `id`), newest first."""

    at: datetime
    id: int

    def encode(self) -> str:
        """Opaque text for clients; UTC so equal instants give equal cursors."""
        micros = (self.at - _EPOCH) // _MICROSECOND
        raw = base64.urlsafe_b64encode(_LAYOUT.pack(micros, self.id)).decode().rstrip("=")
        return "a1" + raw

    @classmethod
    def decode(cls, text: str) -> Self:
        """The position `text` names; `InvalidCursor` for text of another form."""
        if not _CURSOR.fullmatch(text):
            raise InvalidCursor("The cursor is not one this service gave.")
        micros, record_id = _LAYOUT.unpack(base64.urlsafe_b64decode(text[2:] + "=="))
        try:
            at = _EPOCH + micros * _MICROSECOND
        except OverflowError:
            at = _EARLIEST if micros < 0 else _LATEST
        return cls(at, record_id)


class AuditQuery(BaseModel):
    """Which page of an organisation's audit log: records with `from` <= at < `to`,
    newest first, at most `limit`, strictly after `cursor` when given. A range whose
    `from` is not before `to` holds no record: its page is empty, not an error (a rule
    between two parameters is one the OpenAPI cannot state)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: AuditCursor | None = None

    @field_validator("cursor", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> Any:
        return AuditCursor.decode(value) if isinstance(value, str) else value


class AuditRecordOut(BaseModel):
    """One professional's read of one resident's data, as every service shows it."""

    service: str = Field(description="The service that holds the record.")
    at: datetime
    actor: str = Field(description="The professional's subject (token `sub`).")
    organisation: str
    unit: str | None
    resident_id: UUID
    case_id: UUID | None = Field(description="None when the read spans the resident's cases.")
    action: str = Field(description="What was shown, in the service's words.")
    purpose: Purpose
    cursor: str = Field(description="Continue after this record (for merging pages).")

    @classmethod
    def of(cls, *, id: int, **fields: Any) -> AuditRecordOut:
        """The record with its cursor, from its service-local `id` and the fields."""
        return cls(cursor=AuditCursor(fields["at"], id).encode(), **fields)


class AuditPage(BaseModel):
    """Records newest first; `next_cursor` is None on the last page."""

    items: list[AuditRecordOut]
    next_cursor: str | None


def page_of(records: Sequence[AuditRecordOut], query: AuditQuery) -> AuditPage:
    """The page from up to `limit + 1` records: the extra one only says more follow."""
    items = list(records[: query.limit])
    more = len(records) > query.limit
    return AuditPage(items=items, next_cursor=items[-1].cursor if more else None)


__all__ = [
    "DEFAULT_LIMIT",
    "MAX_CURSOR_LENGTH",
    "MAX_LIMIT",
    "AuditCursor",
    "AuditPage",
    "AuditQuery",
    "AuditRecordOut",
    "InvalidCursor",
    "page_of",
]
