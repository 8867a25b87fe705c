"""What the communication history shows: each notification with its deliveries and their
steps. Read views, never the delivery itself: no address or provider reference is here.

The history is read in keyset pages over (`received_at`, `notification_id`), newest
first: the cursor names the last notification shown and the next page holds those
strictly before it. A notification arriving during a walk lands before the first
page, so it never shifts a boundary: nothing is shown twice and nothing is skipped.
"""

from __future__ import annotations

import base64
import re
import struct
from dataclasses import dataclass, fields
from datetime import UTC, datetime, timedelta
from typing import Any, Self
from uuid import UUID

from careflow.notification.domain.delivery import Step
from careflow.notification.domain.errors import InvalidInput


@dataclass(frozen=True)
class DeliveryRecord:
    """One channel's delivery of a notification, as the history shows it."""

    delivery_id: UUID
    notification_id: UUID
    channel: str
    status: str
    reason: str | None
    attempts: int
    subject: str | None
    body: str
    created_at: datetime
    sent_at: datetime | None
    next_attempt_at: datetime | None
    steps: tuple[Step, ...] = ()

    @classmethod
    def of_row(cls, row: Any) -> Self:
        """From a stored row (a mapping); other columns (addresses among them) are left out."""
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name != "steps"})


@dataclass(frozen=True)
class NotificationRecord:
    """One notification: parked (no deliveries yet) or decided."""

    notification_id: UUID
    purpose: str
    case_id: UUID | None
    status: str
    received_at: datetime
    deliveries: tuple[DeliveryRecord, ...] = ()

    @classmethod
    def of_row(cls, row: Any) -> Self:
        return cls(**{f.name: row[f.name] for f in fields(cls) if f.name != "deliveries"})


class InvalidCursor(InvalidInput):
    """The cursor was not made by `HistoryCursor.encode` (its message never quotes it)."""

    def __init__(self) -> None:
        super().__init__("The cursor is not one this service gave.")


#: "h1" (history, format 1) and 24 bytes in base64url: microseconds since the epoch
#: (signed 64-bit) and the notification id. Every text the pattern admits names a
#: position (an instant out of range reads as the earliest or latest one), so no
#: well-formed cursor is refused; an audit cursor ("a1...") is not one of these.
CURSOR_PATTERN = r"^h1[A-Za-z0-9_-]{32}$"
MAX_CURSOR_LENGTH = 34
_CURSOR = re.compile(CURSOR_PATTERN)
_LAYOUT = struct.Struct(">q16s")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


@dataclass(frozen=True)
class HistoryCursor:
    """A position in a resident's history: just after the notification
    (`received_at`, `notification_id`), newest first.

    Opaque to clients and not signed: it is only a position, and whose history is
    read comes from the token and the path, never from it.
    """

    received_at: datetime
    notification_id: UUID

    @classmethod
    def after(cls, notification: NotificationRecord) -> Self:
        return cls(notification.received_at, notification.notification_id)

    def encode(self) -> str:
        """Opaque text for clients; UTC so equal instants give equal cursors."""
        micros = (self.received_at - _EPOCH) // _MICROSECOND
        raw = _LAYOUT.pack(micros, self.notification_id.bytes)
        return "h1" + base64.urlsafe_b64encode(raw).decode()

    @classmethod
    def decode(cls, text: str) -> Self:
        """The position `text` names; `InvalidCursor` for text of another form."""
        if not _CURSOR.fullmatch(text):
            raise InvalidCursor()
        micros, id_bytes = _LAYOUT.unpack(base64.urlsafe_b64decode(text[2:]))
        try:
            at = _EPOCH + micros * _MICROSECOND
        except OverflowError:
            at = (datetime.min if micros < 0 else datetime.max).replace(tzinfo=UTC)
        return cls(at, UUID(bytes=id_bytes))


@dataclass(frozen=True)
class HistoryPage:
    """Notifications newest first; `next_cursor` is None on the last page."""

    items: list[NotificationRecord]
    next_cursor: str | None

    @classmethod
    def of(cls, found: list[NotificationRecord], limit: int) -> HistoryPage:
        """The page from up to `limit + 1` notifications: the extra one only says more follow."""
        items = found[:limit]
        more = len(found) > limit
        return cls(items, HistoryCursor.after(items[-1]).encode() if more else None)
