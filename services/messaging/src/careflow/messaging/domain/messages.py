"""Case messages: who may write on a case, what a message may hold, how fast one may post.

Pure rules (domain.md "Cases" and "Messaging and chat"): no I/O, no contracts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum
from math import ceil
from uuid import UUID

from careflow.messaging.domain.errors import (
    InvalidRequest,
    InvalidState,
    SendLimitReached,
)

#: domain.md: plain text; the issue: up to 5,000 characters.
MAX_BODY_CHARS = 5000

#: A closing that leaves the resident unable to reply (domain.md "Closing").
CLOSED_WITHOUT_CONSENT = "professional_without_consent"

# A link is anything with a scheme and "//", or one of the schemes browsers and mail
# clients act on without "//". Only http and https may appear (the issue: "http(s) links
# only"); "10:30" or "Note:" are not links.
_LINK = re.compile(
    r"(?i)(?<![a-z0-9+.\-])([a-z][a-z0-9+.\-]*):(?://|(?=[^\s]))",
)
_SCHEMES_WITHOUT_SLASHES = frozenset(
    {"javascript", "vbscript", "data", "file", "mailto", "tel", "sms", "ftp", "blob", "about"}
)
_ALLOWED_SCHEMES = frozenset({"http", "https"})


class Side(StrEnum):
    """The two parties of a case's conversation; each has its own read state."""

    RESIDENT = "resident"
    PROFESSIONAL = "professional"

    @property
    def other(self) -> Side:
        return Side.PROFESSIONAL if self is Side.RESIDENT else Side.RESIDENT


@dataclass(frozen=True)
class CaseFacts:
    """What messaging knows of a case, learned from intake's case events."""

    case_id: UUID
    resident_id: UUID
    organisation_id: str
    language: str
    identification: str
    updated_at: datetime
    unit_id: str | None = None
    proxy_contact: bool = False
    guardian_id: UUID | None = None
    closed_at: datetime | None = None
    closing_reason: str | None = None
    open_proposal_id: UUID | None = None
    objection_deadline: datetime | None = None

    @property
    def anonymous(self) -> bool:
        return self.identification == "anonymous"

    @property
    def notify_resident_id(self) -> UUID:
        """Whom notifications about the case address: a proxy case's guardian."""
        return self.guardian_id if self.guardian_id is not None else self.resident_id

    def check_readable(self) -> None:
        """Anonymous submissions give the resident no case page and nobody to write to."""
        if self.anonymous:
            raise InvalidState("An anonymous submission has no messages.")

    def check_writable(self) -> None:
        self.check_readable()
        if self.closing_reason == CLOSED_WITHOUT_CONSENT:
            raise InvalidState("The case was closed without consent; nobody can write on it.")
        # Closed cases stay readable for the retention period, as intake keeps them, but
        # take no more messages (intake's "the resident may answer" rule says the same).
        if self.closed_at is not None:
            raise InvalidState("The case is closed; its messages can be read, not added to.")

    def objectable_proposal(self, now: datetime) -> UUID:
        """The professional's closing proposal a message sent `now` may object to."""
        if self.closed_at is not None:
            raise InvalidState("The case is closed; there is no proposal to object to.")
        if self.open_proposal_id is None or self.objection_deadline is None:
            raise InvalidState("There is no closing proposal to object to.")
        if now >= self.objection_deadline:
            raise InvalidState("The time to object to the closing proposal has passed.")
        return self.open_proposal_id

    def proposed(self, proposal_id: UUID, deadline: datetime | None, at: datetime) -> CaseFacts:
        if deadline is None:  # the resident's own proposal: nothing to object to
            return replace(self, updated_at=at)
        return replace(
            self, open_proposal_id=proposal_id, objection_deadline=deadline, updated_at=at
        )

    def proposal_settled(self, proposal_id: UUID, at: datetime) -> CaseFacts:
        if self.open_proposal_id != proposal_id:
            return self
        return replace(self, open_proposal_id=None, objection_deadline=None, updated_at=at)

    def closed(self, reason: str, at: datetime) -> CaseFacts:
        return replace(
            self,
            closed_at=at,
            closing_reason=reason,
            open_proposal_id=None,
            objection_deadline=None,
            updated_at=at,
        )


@dataclass(frozen=True)
class Message:
    """One message on a case; never edited, never deleted."""

    id: UUID
    case_id: UUID
    author_side: Side
    author_id: str
    body: str
    sent_at: datetime
    objects_to_proposal_id: UUID | None = None
    #: Insertion order, given by the store.
    seq: int = 0


@dataclass(frozen=True)
class SendLimit:
    """At most `messages` per sender in any `window`."""

    messages: int
    window: timedelta

    def check(self, recent: list[datetime], now: datetime) -> None:
        """`recent`: the sender's send times within the window, oldest first."""
        inside = [t for t in recent if t > now - self.window]
        if len(inside) < self.messages:
            return
        # The oldest message that counts leaves the window first.
        frees_at = inside[-self.messages] + self.window
        raise SendLimitReached(max(1, ceil((frees_at - now).total_seconds())))


def message_body(text: str) -> str:
    """The text as stored: plain text, trimmed, 1-5,000 characters, http(s) links only."""
    body = text.strip()
    if not body:
        raise InvalidRequest("A message needs some text.")
    if len(body) > MAX_BODY_CHARS:
        raise InvalidRequest(f"A message holds at most {MAX_BODY_CHARS} characters.")
    for match in _LINK.finditer(body):
        scheme = match.group(1).lower()
        with_slashes = match.group(0).endswith("//")
        if scheme in _ALLOWED_SCHEMES:
            continue
        if with_slashes or scheme in _SCHEMES_WITHOUT_SLASHES:
            raise InvalidRequest("Links in a message must be http or https.")
    return body


@dataclass
class ReadState:
    """How far one side has read: every message up to `read_seq`."""

    case_id: UUID
    side: Side
    read_seq: int = 0
    read_at: datetime | None = None
    read_by: str | None = None
