"""Case-message events messaging publishes on `messaging.messages.v1`, keyed by case_id.

A resident and the professionals of the case's organisation write on a case
(domain.md "Messaging and chat"). The events say that a message was written or
read, never what it says: the text stays in messaging's database, and whoever
shows it reads it from messaging's API (which audits professionals' reads).

Consumers: workqueue (unread resident messages on the queue item; a resident's
message clears "incomplete"), intake (a resident's message that objects to a
closing proposal keeps the case open).
"""

from __future__ import annotations

from typing import ClassVar, Literal
from uuid import UUID

from pydantic import AwareDatetime, Field

from careflow.contracts.base import ContractEvent
from careflow.contracts.common import ExternalId

MessageSide = Literal["resident", "professional"]


class CaseMessageEvent(ContractEvent):
    key_field: ClassVar[str] = "case_id"

    case_id: UUID = Field(description="The case the messages are on; the Kafka key.")
    resident_id: UUID = Field(description="Pseudonymous id of the resident the case is about.")
    organisation_id: ExternalId = Field(description="Organisation of the case.")
    unread_by_professionals: int = Field(
        ge=0,
        description="The resident's messages on the case the professionals have not read, "
        "after this event: a consumer sets its count to it (the latest event wins).",
    )


class MessageSent(CaseMessageEvent):
    """A resident or a professional wrote a message on a case. No text."""

    event_type: ClassVar[str] = "careflow.message.sent.v1"

    message_id: UUID = Field(description="Id of the message (messaging's).")
    author: MessageSide = Field(description="Which side wrote it.")
    sent_at: AwareDatetime = Field(description="When it was written (UTC).")
    objects_to_proposal_id: UUID | None = Field(
        default=None,
        description="A resident's message that objects to this closing proposal of a "
        "professional (sent before the proposal's objection deadline); intake records "
        "the objection.",
    )


class MessagesRead(CaseMessageEvent):
    """One side read a case's messages up to its latest one."""

    event_type: ClassVar[str] = "careflow.message.read.v1"

    side: MessageSide = Field(description="Which side read.")
    read_at: AwareDatetime = Field(description="When they were read (UTC).")


CASE_MESSAGE_EVENTS: tuple[type[CaseMessageEvent], ...] = (MessageSent, MessagesRead)
