"""A chat naming no case moved to non-urgent: intake opens the case, the transcript goes on it.

Creating cases is intake's. So the move (in its own transaction) records the request and
publishes `ChatCaseRequested` on `messaging.chats.v1` — ids, language, the professional;
never text. Intake opens the case (a professional-created one, kind `chat_conversation`,
the id derived from the chat) and announces it on `intake.cases.v1` like any; the work
queue makes its item from that event, and messaging, learning the case, writes the
transcript on it in the same transaction as the case's facts: every chat message as a
case message of its side, unread by the professionals, announced with `MessageSent` so
the item shows the resident's unread messages. A redelivered case event finds the request
attached and writes nothing twice.

A chat that merely ends (either side, idle time) asks for no case: domain.md names only
the move to non-urgent as the one that becomes an asynchronous conversation, and a case
per ended chat would put every settled conversation in the work queue. Its transcript
stays in `chat_messages` with the resident's id.
"""

from __future__ import annotations

import logging
from datetime import datetime
from uuid import UUID

from careflow.contracts.chats import ChatCaseRequested
from careflow.contracts.messages import MessageSent
from careflow.messaging.application.channels import Staff
from careflow.messaging.application.chat_ports import ChatUnitOfWork
from careflow.messaging.domain.chat_case import (
    ChatCaseRequest,
    case_id_for_chat,
    needs_case,
    transcript_messages,
)
from careflow.messaging.domain.chats import Chat
from careflow.messaging.domain.messages import Side

log = logging.getLogger(__name__)


async def request_case(uow: ChatUnitOfWork, chat: Chat, staff: Staff, now: datetime) -> bool:
    """Asks intake for the chat's case when it needs one (the caller commits)."""
    if not needs_case(chat):
        return False
    case_id = case_id_for_chat(chat.chat_id)
    await uow.chat_cases.add(ChatCaseRequest(chat.chat_id, case_id, now))
    uow.outbox.add(
        ChatCaseRequested(
            chat_id=chat.chat_id, organisation_id=chat.organisation_id, case_id=case_id,
            resident_id=chat.resident_id, language=chat.language,  # type: ignore[arg-type]
            requested_by=staff.professional_id, unit_id=staff.unit_id, requested_at=now,
        ),
        occurred_at=now,
    )  # fmt: skip
    return True


async def attach_transcript(uow: ChatUnitOfWork, case_id: UUID, now: datetime) -> int:
    """The case a chat asked for is known: its transcript becomes the case's first messages.

    Returns how many were written (0 when no chat asked for this case, or already done)."""
    request = await uow.chat_cases.for_case(case_id)
    if request is None or request.attached_at is not None:
        return 0
    chat = await uow.chats.get(request.chat_id)
    case = await uow.cases.get(case_id)
    if (
        chat is None
        or case is None
        or (case.resident_id, case.organisation_id)
        != (
            chat.resident_id,
            chat.organisation_id,
        )
    ):
        # Intake opened the case from this very request: a mismatch is a bug, not input.
        log.warning("a requested chat case does not match its chat; transcript not attached")
        return 0
    transcript = await uow.chat_messages.after(chat.chat_id, 0, max(chat.last_sequence, 1))
    written = [await uow.messages.add(m) for m in transcript_messages(case_id, transcript)]
    await uow.chat_cases.attached(chat.chat_id, now)
    if written:
        last = written[-1]
        resident_wrote = any(m.author_side is Side.RESIDENT for m in written)
        uow.outbox.add(
            MessageSent(
                case_id=case_id, resident_id=case.resident_id,
                organisation_id=case.organisation_id,
                unread_by_professionals=await uow.messages.unread(case_id, Side.PROFESSIONAL),
                message_id=last.id,
                author=(Side.RESIDENT if resident_wrote else Side.PROFESSIONAL).value,
                sent_at=now,
            ),
            occurred_at=now,
        )  # fmt: skip
    return len(written)
