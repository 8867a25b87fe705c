"""Live chat use cases: start, take, post, transfer, end, idle expiry.

Each locks the chat's row (SELECT ... FOR UPDATE), so two professionals
opening one chat at once serialise: the second sees it taken and gets
`ChatAlreadyTaken` (409). Every change nudges the chat's open sockets
through `uow.signals` (delivered on commit, ids only; a message's with its sequence number).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID, uuid4, uuid5

from careflow.contracts.notifications import ProfessionalChatNotificationRequested
from careflow.messaging.application.channels import Staff, own_channel
from careflow.messaging.application.chat_case import request_case
from careflow.messaging.application.chat_outgoing import publish
from careflow.messaging.application.chat_ports import ChatPostUnitOfWork, ChatUnitOfWork
from careflow.messaging.application.chat_transcript import transcript_to_case
from careflow.messaging.domain.channels import Channel
from careflow.messaging.domain.chat_errors import ChannelNotFound, ChatNotFound, NoticeNotSeen
from careflow.messaging.domain.chats import Chat, ChatMessage, SenderKind, require_present

NOTIFICATION_NAMESPACE = UUID("6c0f0f3e-5d7b-4b62-9b7e-2f1f6f0c4a11")


async def _notify_new_chat(
    uow: ChatUnitOfWork, channel: Channel, chat: Chat, now: datetime
) -> None:
    """Email the present professionals who chose it; sound goes to sockets after commit."""
    for presence in await uow.presences.present_in(channel.channel_id):
        if presence.wants_email and presence.email is not None:
            # One request per (chat, channel, professional): a retried command makes no second.
            key = f"{chat.chat_id}:{channel.channel_id}:{presence.professional_id}"
            uow.outbox.add(
                ProfessionalChatNotificationRequested(
                    notification_id=uuid_for(key), requested_by="messaging", requested_at=now,
                    professional_id=presence.professional_id,
                    organisation_id=channel.organisation_id, channel_id=str(channel.channel_id),
                    chat_id=chat.chat_id, email=presence.email, language=presence.language,
                )
            )  # fmt: skip
    await uow.signals.new_chat(channel.channel_id, chat.chat_id)


def uuid_for(key: str) -> UUID:
    return uuid5(NOTIFICATION_NAMESPACE, key)


async def start_chat(
    uow: ChatUnitOfWork,
    resident_id: UUID,
    channel_id: UUID,
    *,
    language: str,
    case_id: UUID | None,
    notice_seen: bool,
    now: datetime,
) -> tuple[Chat, Channel]:
    """A resident starts a chat in an open, resident-visible channel, having seen its notice."""
    async with uow:
        channel = await uow.channels.get(channel_id, for_update=True)
        if channel is None:
            raise ChannelNotFound("No such channel.")
        channel.accept_resident_chat()
        if channel.notice is not None and not notice_seen:
            raise NoticeNotSeen(
                "The channel shows a congestion notice: read it, then start with notice_seen."
            )
        chat = Chat.start(
            chat_id=uuid4(), channel=channel, resident_id=resident_id, language=language,
            case_id=case_id, now=now,
        )  # fmt: skip
        await uow.chats.add(chat)
        publish(uow.outbox, chat)
        await _notify_new_chat(uow, channel, chat, now)
        await uow.commit()
        return chat, channel


async def _chat_of(uow: ChatUnitOfWork, chat_id: UUID, organisation_id: str) -> Chat:
    chat = await uow.chats.get(chat_id, for_update=True)
    if chat is None or chat.organisation_id != organisation_id:
        raise ChatNotFound("No such chat.")
    return chat


async def _finish(uow: ChatUnitOfWork, chat: Chat) -> Chat:
    await uow.chats.save(chat)
    publish(uow.outbox, chat)
    await uow.signals.chat_changed(chat.chat_id)
    await uow.commit()
    return chat


async def take_chat(uow: ChatUnitOfWork, staff: Staff, chat_id: UUID, *, now: datetime) -> Chat:
    """A professional present in the chat's channel opens it; one of two at once wins."""
    async with uow:
        chat = await _chat_of(uow, chat_id, staff.organisation_id)
        presence = await uow.presences.get(chat.channel_id, staff.professional_id)
        chat.take(staff.professional_id, presence, now)
        return await _finish(uow, chat)


async def transfer_chat(
    uow: ChatUnitOfWork,
    staff: Staff,
    chat_id: UUID,
    *,
    to_channel_id: UUID | None,
    now: datetime,
) -> Chat:
    """The taker moves the chat to another channel, or (no channel) to non-urgent conversation."""
    async with uow:
        chat = await _chat_of(uow, chat_id, staff.organisation_id)
        presence = await uow.presences.get(chat.channel_id, staff.professional_id)
        if to_channel_id is None:
            chat.transfer_to_non_urgent(staff.professional_id, presence, now)
            if not await request_case(uow, chat, staff, now):  # no case named: intake opens one
                await transcript_to_case(uow, chat, staff.professional_id, now)
            return await _finish(uow, chat)
        target = await own_channel(uow, staff, to_channel_id)
        chat.transfer_to_channel(target, staff.professional_id, presence, now)
        await _notify_new_chat(uow, target, chat, now)
        return await _finish(uow, chat)


async def end_chat_as_professional(
    uow: ChatUnitOfWork, staff: Staff, chat_id: UUID, *, now: datetime
) -> Chat:
    async with uow:
        chat = await _chat_of(uow, chat_id, staff.organisation_id)
        presence = await uow.presences.get(chat.channel_id, staff.professional_id)
        chat.end_by_professional(staff.professional_id, presence, now)
        await transcript_to_case(uow, chat, staff.professional_id, now, required=False)
        return await _finish(uow, chat)


async def end_chat_as_resident(
    uow: ChatUnitOfWork, resident_id: UUID, chat_id: UUID, *, now: datetime
) -> Chat:
    async with uow:
        chat = await uow.chats.get(chat_id, for_update=True)
        if chat is None or chat.resident_id != resident_id:
            raise ChatNotFound("No such chat.")
        chat.end_by_resident(resident_id, now)
        await transcript_to_case(uow, chat, chat.taken_by or "chat", now, required=False)
        return await _finish(uow, chat)


async def post_message(
    uow: ChatPostUnitOfWork,
    chat_id: UUID,
    *,
    kind: SenderKind,
    sender_id: str,
    client_message_id: UUID,
    text: str,
    now: datetime,
) -> ChatMessage:
    """Appends a message (the next sequence number); a resend of the same client id returns the
    stored one, so a client that resends after reconnecting makes no copy. The caller has
    checked the sender may write in this chat (resident's own, present taker)."""
    async with uow:
        chat = await uow.chats.get(chat_id, for_update=True)
        if chat is None:
            raise ChatNotFound("No such chat.")
        if kind is SenderKind.PROFESSIONAL:
            require_present(await uow.presences.get(chat.channel_id, sender_id), chat.channel_id)
        earlier = await uow.chat_messages.by_client_id(chat_id, client_message_id)
        if earlier is not None:
            return earlier
        message = chat.post(kind, sender_id, text, now)
        await uow.chat_messages.add(message, client_message_id)
        await uow.chats.save(chat)
        await uow.signals.message_posted(chat_id, message.sequence)
        await uow.commit()
        return message


async def expire_idle_chats(
    uow: ChatUnitOfWork, *, idle_after: timedelta, now: datetime, limit: int = 100
) -> int:
    """The idle sweeper's pass: taken chats silent for `idle_after` end (SKIP LOCKED: once)."""
    async with uow:
        ended = 0
        for chat in await uow.chats.idle_since(now - idle_after, limit):
            if chat.expire_if_idle(now, idle_after):
                by = chat.taken_by or "chat"
                await transcript_to_case(uow, chat, by, now, required=False)
                await uow.chats.save(chat)
                publish(uow.outbox, chat)
                await uow.signals.chat_changed(chat.chat_id)
                ended += 1
        await uow.commit()
        return ended
