"""What professionals and residents may read of chats: the queue view, headers, and content.

Content (messages) goes out only through `readable_messages`, which applies the
one rule of `domain.chat_access` on every call; the queue view carries header
fields only, for present and absent channels alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from careflow.messaging.application.channels import Staff
from careflow.messaging.application.chat_ports import ChatUnitOfWork
from careflow.messaging.domain.audit import AuditRecord
from careflow.messaging.domain.channels import Channel
from careflow.messaging.domain.chat_access import professional_sees_content, resident_sees_content
from careflow.messaging.domain.chat_errors import ChatNotFound, NotPresent
from careflow.messaging.domain.chat_presence import Presence
from careflow.messaging.domain.chats import Chat, ChatMessage
from careflow.shared.audit import Purpose

MAX_PAGE = 500


@dataclass(frozen=True)
class ChannelView:
    channel: Channel
    presence: Presence | None
    waiting: list[Chat]


async def queue_view(
    uow: ChatUnitOfWork, staff: Staff, *, channel_id: UUID | None = None
) -> list[ChannelView]:
    """Per channel of the organisation: state, own settings, waiting chats' header fields."""
    async with uow:
        channels = [
            c for c in await uow.channels.of_organisation(staff.organisation_id)
            if channel_id is None or c.channel_id == channel_id
        ]  # fmt: skip
        mine = {
            p.channel_id: p
            for p in await uow.presences.of_professional(
                staff.organisation_id, staff.professional_id
            )
        }
        waiting = await uow.chats.waiting_in([c.channel_id for c in channels])
        return [
            ChannelView(
                c, mine.get(c.channel_id), [w for w in waiting if w.channel_id == c.channel_id]
            )
            for c in channels
        ]


async def present_channels(uow: ChatUnitOfWork, staff: Staff) -> set[UUID]:
    presences = await uow.presences.of_professional(staff.organisation_id, staff.professional_id)
    return {p.channel_id for p in presences if p.present}


async def _professional_access(
    uow: ChatUnitOfWork, staff: Staff, chat_id: UUID
) -> tuple[Chat, bool]:
    chat = await uow.chats.get(chat_id)
    if chat is None or chat.organisation_id != staff.organisation_id:
        raise ChatNotFound("No such chat.")
    here = await present_channels(uow, staff)
    return chat, professional_sees_content(
        chat, professional_id=staff.professional_id,
        organisation_id=staff.organisation_id, present_in=here,
    )  # fmt: skip


async def chat_for_professional(
    uow: ChatUnitOfWork, staff: Staff, chat_id: UUID
) -> tuple[Chat, bool]:
    """The chat's header and whether this professional may receive its content now."""
    async with uow:
        return await _professional_access(uow, staff, chat_id)


async def messages_for_professional(
    uow: ChatUnitOfWork,
    staff: Staff,
    chat_id: UUID,
    *,
    after: int,
    now: datetime,
    audit: bool = True,
    limit: int = MAX_PAGE,
) -> tuple[Chat, list[ChatMessage]]:
    """Messages after `after`, only for the present taker; NotPresent (403) for anyone else.

    The check and the read share one transaction, so content never goes out on
    a decision older than the read; a read that returns messages is audited in
    it (`audit=False`: a socket audits once per connection, not per frame).
    """
    async with uow:
        chat, allowed = await _professional_access(uow, staff, chat_id)
        if not allowed:
            raise NotPresent(
                "Chat content is shown only to its professional, present in its channel."
            )
        found = await uow.chat_messages.after(chat_id, after, min(limit, MAX_PAGE))
        if audit and found:
            await uow.audit.record([chat_read(staff, chat, now)])
            await uow.commit()
        return chat, found


def chat_read(staff: Staff, chat: Chat, now: datetime) -> AuditRecord:
    """A professional received a chat's messages (purpose care; its case when it names one)."""
    return AuditRecord(
        organisation_id=staff.organisation_id, professional_id=staff.professional_id,
        unit_id=staff.unit_id, resident_id=chat.resident_id, case_id=chat.case_id,
        action="read_chat_messages", at=now, purpose=Purpose.CARE.value,
    )  # fmt: skip


async def messages_for_resident(
    uow: ChatUnitOfWork, resident_id: UUID, chat_id: UUID, *, after: int, limit: int = MAX_PAGE
) -> tuple[Chat, list[ChatMessage]]:
    async with uow:
        chat = await uow.chats.get(chat_id)
        if chat is None or not resident_sees_content(chat, resident_id=resident_id):
            raise ChatNotFound("No such chat.")
        return chat, await uow.chat_messages.after(chat_id, after, min(limit, MAX_PAGE))


async def resident_channels(uow: ChatUnitOfWork, organisation_id: str) -> list[Channel]:
    """The organisation's channels a resident sees in the portal (closed ones too, as closed)."""
    async with uow:
        return [
            c for c in await uow.channels.of_organisation(organisation_id)
            if c.visibility.value == "residents"
        ]  # fmt: skip


async def sound_alert(
    uow: ChatUnitOfWork, staff: Staff, channel_id: UUID, chat_id: UUID
) -> Chat | None:
    """The new chat's header for a professional present in its channel with sound on; else None."""
    async with uow:
        presence = await uow.presences.get(channel_id, staff.professional_id)
        if presence is None or not presence.wants_sound:
            return None
        chat = await uow.chats.get(chat_id)
        if (
            chat is None
            or chat.organisation_id != staff.organisation_id
            or chat.channel_id != channel_id
        ):
            return None
        return chat
