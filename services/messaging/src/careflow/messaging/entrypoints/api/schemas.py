"""HTTP schemas of messaging (not contract models, not tables), each made from the use
cases' records by `of`."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from careflow.messaging.application.case_messages import MessagePage
from careflow.messaging.domain.messages import MAX_BODY_CHARS, Message, ReadState

# No control character but tab, line feed and carriage return (the request edges' rule,
# careflow.shared.http.openapi.BODY_TEXT), and something besides white space (the rule
# `message_body` enforces), stated for clients.
_CONTROL = r"\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F"
_SOME_TEXT = rf"^[^{_CONTROL}]*[^\s{_CONTROL}][^{_CONTROL}]*$"


class CaseMessageIn(BaseModel):
    """A message a professional writes on a case."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(
        min_length=1,
        max_length=MAX_BODY_CHARS,
        pattern=_SOME_TEXT,
        description="Plain text; links only with http or https. Kept as written, trimmed.",
    )


class ResidentCaseMessageIn(CaseMessageIn):
    """A message the resident writes on their case."""

    objects_to_closing: StrictBool = Field(
        default=False,
        description="The message objects to the professional's closing proposal (within 72 "
        "hours of it): the case stays open. 409 when there is no proposal to object to.",
    )


class CaseMessageOut(BaseModel):
    id: UUID
    case_id: UUID
    #: Position in the case's conversation (larger = later); `before` of the next page.
    seq: int
    author: Literal["resident", "professional"]
    text: str
    sent_at: datetime
    objects_to_closing: bool

    @classmethod
    def of(cls, m: Message) -> CaseMessageOut:
        return cls(
            id=m.id,
            case_id=m.case_id,
            seq=m.seq,
            author=m.author_side.value,
            text=m.body,
            sent_at=m.sent_at,
            objects_to_closing=m.objects_to_proposal_id is not None,
        )


class ReadStateOut(BaseModel):
    side: Literal["resident", "professional"]
    #: Every message with `seq` up to this one has been read by this side (0: none).
    read_up_to: int
    read_at: datetime | None

    @classmethod
    def of(cls, state: ReadState) -> ReadStateOut:
        return cls(side=state.side.value, read_up_to=state.read_seq, read_at=state.read_at)


class CaseMessagePageOut(BaseModel):
    """Messages newest first; `next_before` gives the next (older) page, null at the end."""

    messages: list[CaseMessageOut]
    next_before: int | None
    #: Messages of the other side the caller's side has not read.
    unread: int
    read: ReadStateOut
    other_side_read: ReadStateOut

    @classmethod
    def of(cls, page: MessagePage) -> CaseMessagePageOut:
        return cls(
            messages=[CaseMessageOut.of(m) for m in page.messages],
            next_before=page.next_before,
            unread=page.unread,
            read=ReadStateOut.of(page.read),
            other_side_read=ReadStateOut.of(page.other_side_read),
        )
