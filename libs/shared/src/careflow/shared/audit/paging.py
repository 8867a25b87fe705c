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
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Self
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator, model_validator

from careflow.shared.audit.purposes import Purpose

DEFAULT_LIMIT = 100
#: Most records one page holds, in every service (a gateway asks each for a full page).
MAX_LIMIT = 500
#: Longest cursor accepted; an encoded one is about 60 characters.
MAX_CURSOR_LENGTH = 200

_VERSION = "1"
_ID = re.compile(r"[1-9][0-9]{0,18}")


class InvalidCursor(ValueError):
    """The cursor was not made by `AuditCursor.encode` (its message never quotes it)."""


@dataclass(frozen=True)
class AuditCursor:
    """A position in an audit log: just after the record (`at`, `id`), newest first."""

    at: datetime
    id: int

    def encode(self) -> str:
        """Opaque text for clients; UTC so equal instants give equal cursors."""
        text = f"{_VERSION}|{self.at.astimezone(UTC).isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> Self:
        """The position `text` names; `InvalidCursor` for anything `encode` did not make."""
        if not text or len(text) > MAX_CURSOR_LENGTH:
            raise InvalidCursor("The cursor is not one this service gave.")
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode("ascii")
            version, at_text, id_text = raw.split("|")
            at = datetime.fromisoformat(at_text)
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise InvalidCursor("The cursor is not one this service gave.") from None
        if version != _VERSION or at.tzinfo is None or not _ID.fullmatch(id_text):
            raise InvalidCursor("The cursor is not one this service gave.")
        if cls(at, int(id_text)).encode() != text:
            # Only the canonical spelling: two texts never name one position.
            raise InvalidCursor("The cursor is not one this service gave.")
        return cls(at, int(id_text))


class AuditQuery(BaseModel):
    """Which page of an organisation's audit log: records with `from` <= at < `to`,
    newest first, at most `limit`, strictly after `cursor` when given."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    from_: AwareDatetime | None = Field(default=None, alias="from")
    to: AwareDatetime | None = None
    limit: int = Field(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT)
    cursor: AuditCursor | None = None

    @field_validator("cursor", mode="before")
    @classmethod
    def _decode(cls, value: Any) -> Any:
        return AuditCursor.decode(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _range(self) -> Self:
        if self.from_ is not None and self.to is not None and self.from_ >= self.to:
            raise ValueError("`from` must be before `to`.")
        return self


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
