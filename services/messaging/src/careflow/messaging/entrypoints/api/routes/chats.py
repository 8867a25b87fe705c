"""Chats over HTTP: a resident starts and ends one; professionals take, transfer and end them.

Message content goes out only on the two `/messages` routes, each applying the
content rule (domain.chat_access): the resident's own chat, or the present
professional who opened it. Everything else returns header fields only.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from careflow.messaging.application.chat_flow import (
    end_chat_as_professional,
    end_chat_as_resident,
    start_chat,
    take_chat,
    transfer_chat,
)
from careflow.messaging.application.chat_reading import (
    chat_for_professional,
    messages_for_professional,
    messages_for_resident,
)
from careflow.messaging.entrypoints.api.chat_deps import CallingResidentId, CallingStaff, ChatWiring
from careflow.messaging.entrypoints.api.chat_schemas import (
    ChatHeaderOut,
    ChatIn,
    MessageOut,
    MessagesOut,
    StartedChatOut,
    TransferIn,
)

router = APIRouter(tags=["chats"])
After = Annotated[int, Query(ge=0, le=2**31 - 1, description="Last sequence number already seen.")]


@router.post("/chats", status_code=status.HTTP_201_CREATED, response_model=StartedChatOut)
async def start(body: ChatIn, resident_id: CallingResidentId, wiring: ChatWiring) -> StartedChatOut:
    """Start a chat in an open resident-visible channel (409 when closed, or when its
    congestion notice is on and `notice_seen` is not true)."""
    chat, channel = await start_chat(
        wiring.chat_uow(), resident_id, body.channel_id, language=body.language,
        case_id=body.case_id, notice_seen=body.notice_seen, now=wiring.clock(),
    )  # fmt: skip
    return StartedChatOut(chat=ChatHeaderOut.of(chat), congestion_notice=channel.notice)


@router.get("/me/chats/{chat_id}/messages", response_model=MessagesOut)
async def my_messages(
    chat_id: UUID, resident_id: CallingResidentId, wiring: ChatWiring, after: After = 0
) -> MessagesOut:
    """The calling resident's chat: messages after `after` (404 for anyone else's)."""
    chat, messages = await messages_for_resident(
        wiring.chat_uow(), resident_id, chat_id, after=after
    )
    return MessagesOut(chat=ChatHeaderOut.of(chat), messages=[MessageOut.of(m) for m in messages])


@router.post("/me/chats/{chat_id}/end", response_model=ChatHeaderOut)
async def end_mine(
    chat_id: UUID, resident_id: CallingResidentId, wiring: ChatWiring
) -> ChatHeaderOut:
    """The resident ends their chat."""
    return ChatHeaderOut.of(
        await end_chat_as_resident(wiring.chat_uow(), resident_id, chat_id, now=wiring.clock())
    )


@router.get("/chats/{chat_id}", response_model=ChatHeaderOut)
async def header(chat_id: UUID, staff: CallingStaff, wiring: ChatWiring) -> ChatHeaderOut:
    """A chat's header fields (any professional of the organisation; never content)."""
    chat, _content = await chat_for_professional(wiring.chat_uow(), staff, chat_id)
    return ChatHeaderOut.of(chat)


@router.get("/chats/{chat_id}/messages", response_model=MessagesOut)
async def messages(
    chat_id: UUID, staff: CallingStaff, wiring: ChatWiring, after: After = 0
) -> MessagesOut:
    """Messages after `after`: only for the professional who opened the chat while present in
    its channel (403 for everyone else); audited (purpose `care`)."""
    chat, found = await messages_for_professional(
        wiring.chat_uow(), staff, chat_id, after=after, now=wiring.clock()
    )
    return MessagesOut(chat=ChatHeaderOut.of(chat), messages=[MessageOut.of(m) for m in found])


@router.post("/chats/{chat_id}/take", response_model=ChatHeaderOut)
async def take(chat_id: UUID, staff: CallingStaff, wiring: ChatWiring) -> ChatHeaderOut:
    """Open a waiting chat from a channel where the caller is present (409 if someone was first)."""
    return ChatHeaderOut.of(await take_chat(wiring.chat_uow(), staff, chat_id, now=wiring.clock()))


@router.post("/chats/{chat_id}/transfer", response_model=ChatHeaderOut)
async def transfer(
    chat_id: UUID, body: TransferIn, staff: CallingStaff, wiring: ChatWiring
) -> ChatHeaderOut:
    """Move the chat to another open channel (professional-only ones too), where it waits, or
    to non-urgent conversation on the resident's case (the live chat ends)."""
    chat = await transfer_chat(
        wiring.chat_uow(), staff, chat_id, to_channel_id=body.to_channel_id, now=wiring.clock()
    )
    return ChatHeaderOut.of(chat)


@router.post("/chats/{chat_id}/end", response_model=ChatHeaderOut)
async def end(chat_id: UUID, staff: CallingStaff, wiring: ChatWiring) -> ChatHeaderOut:
    """The professional who opened the chat ends it."""
    return ChatHeaderOut.of(
        await end_chat_as_professional(wiring.chat_uow(), staff, chat_id, now=wiring.clock())
    )
