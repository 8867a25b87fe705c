"""A chat's transcript is kept with the resident's case; moved to non-urgent, it goes on there.

When a chat that names a case ends (either side, idle time) or moves to non-urgent,
in that command's own transaction (the case-message tables are in the same database),
its transcript — every chat message, in order, labelled by side — becomes messages on
the professionals' side of that case (author: the chat's professional, or "chat" when
nobody had opened it), announced with `careflow.message.sent.v1` like any case message,
so the case's work-queue item shows the conversation. The text itself never leaves the
database. A chat that names no case (or one messaging does not know, or of another
resident or organisation, or one closed without consent when the chat merely ends)
keeps its transcript only in `chat_messages` (append-only), with the resident's id:
creating a case is intake's, not messaging's.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from careflow.contracts.messages import MessageSent
from careflow.messaging.application.chat_ports import ChatUnitOfWork
from careflow.messaging.domain.chats import Chat, ChatMessage, SenderKind
from careflow.messaging.domain.errors import DomainError
from careflow.messaging.domain.messages import MAX_BODY_CHARS, Message, Side

LABELS = {SenderKind.RESIDENT: "Resident", SenderKind.PROFESSIONAL: "Professional"}
HEADING = "Chat transcript (moved to non-urgent conversation)"


def transcript_bodies(messages: list[ChatMessage]) -> list[str]:
    """The transcript as case-message bodies of at most 5,000 characters each."""
    lines = [HEADING] + [
        f"[{m.sent_at:%Y-%m-%d %H:%M} UTC] {LABELS[m.sender_kind]}: {m.text}" for m in messages
    ]
    bodies, current = [], ""
    for line in lines:
        while len(line) > MAX_BODY_CHARS:  # one long chat message spans bodies
            if current:
                bodies.append(current)
                current = ""
            bodies.append(line[:MAX_BODY_CHARS])
            line = line[MAX_BODY_CHARS:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > MAX_BODY_CHARS:
            bodies.append(current)
            candidate = line
        current = candidate
    if current:
        bodies.append(current)
    return bodies


async def transcript_to_case(
    uow: ChatUnitOfWork, chat: Chat, by: str, now: datetime, *, required: bool = True
) -> bool:
    """Writes the transcript on the chat's case; False when there is no such case to write on.

    `required`: a case nobody may write on refuses the command (a transfer to non-urgent
    needs the conversation to go on); otherwise (a chat that ends) the transcript then
    stays in `chat_messages` only.
    """
    if chat.case_id is None:
        return False
    case = await uow.cases.get(chat.case_id)
    if case is None or (case.organisation_id, case.resident_id) != (
        chat.organisation_id,
        chat.resident_id,
    ):
        return False
    if required:
        case.check_writable()  # a case closed without consent refuses the transfer (409)
    else:
        try:
            case.check_writable()
        except DomainError:
            return False
    if chat.last_sequence == 0:
        return True  # nothing was said: nothing to keep
    transcript = await uow.chat_messages.after(chat.chat_id, 0, chat.last_sequence or 1)
    last: Message | None = None
    for body in transcript_bodies(transcript):
        last = await uow.messages.add(
            Message(
                id=uuid.uuid4(), case_id=case.case_id, author_side=Side.PROFESSIONAL,
                author_id=by, body=body, sent_at=now,
            )
        )  # fmt: skip
    if last is not None:
        uow.outbox.add(
            MessageSent(
                case_id=case.case_id, resident_id=case.resident_id,
                organisation_id=case.organisation_id,
                unread_by_professionals=await uow.messages.unread(case.case_id, Side.PROFESSIONAL),
                message_id=last.id, author=Side.PROFESSIONAL.value, sent_at=now,
            ),
            occurred_at=now,
        )  # fmt: skip
    return True
