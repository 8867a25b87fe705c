"""Chat channels: channel admins create and change them; professionals set their presence and
read the on-call queue; residents see their organisation's resident-visible channels."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from careflow.messaging.application.channels import (
    ChannelChange,
    change_channel,
    create_channel,
    set_opening_hours,
    set_presence,
)
from careflow.messaging.application.chat_reading import queue_view, resident_channels
from careflow.messaging.domain.channels import Visibility
from careflow.messaging.entrypoints.api.chat_deps import CallingResidentId, CallingStaff, ChatWiring
from careflow.messaging.entrypoints.api.chat_schemas import (
    ChannelIn,
    ChannelOut,
    ChannelPatch,
    OpeningHoursBody,
    PresenceIn,
    PresenceOut,
    QueueChannelOut,
    QueueOut,
    ResidentChannelOut,
)

router = APIRouter(tags=["chat channels"])
OrganisationId = Annotated[str, ...]


@router.post("/chat-channels", status_code=status.HTTP_201_CREATED, response_model=ChannelOut)
async def create(body: ChannelIn, staff: CallingStaff, wiring: ChatWiring) -> ChannelOut:
    """Create a channel of the caller's organisation (roles `admin` or `chat_admin`)."""
    hours = body.opening_hours.to_domain() if body.opening_hours else None
    channel = await create_channel(
        wiring.chat_uow(), staff, name=body.name, visibility=Visibility(body.visibility),
        opening_hours=hours, now=wiring.clock(),
    )  # fmt: skip
    return ChannelOut.of(channel)


@router.get("/chat-channels", response_model=list[ChannelOut])
async def list_channels(staff: CallingStaff, wiring: ChatWiring) -> list[ChannelOut]:
    """Every channel of the caller's organisation with its state and hours."""
    views = await queue_view(wiring.chat_uow(), staff)
    return [ChannelOut.of(v.channel) for v in views]


@router.patch("/chat-channels/{channel_id}", response_model=ChannelOut)
async def change(
    channel_id: UUID, body: ChannelPatch, staff: CallingStaff, wiring: ChatWiring
) -> ChannelOut:
    """Rename, open or close a channel, change who sees it, switch its congestion notice
    (roles `admin` or `chat_admin`)."""
    patch = ChannelChange(
        name=body.name,
        visibility=Visibility(body.visibility) if body.visibility else None,
        is_open=body.open,
        congestion_notice=body.congestion_notice,
        congestion_text=body.congestion_text,
    )
    return ChannelOut.of(
        await change_channel(wiring.chat_uow(), staff, channel_id, patch, now=wiring.clock())
    )


@router.put("/chat-channels/{channel_id}/opening-hours", response_model=ChannelOut)
async def put_hours(
    channel_id: UUID, body: OpeningHoursBody, staff: CallingStaff, wiring: ChatWiring
) -> ChannelOut:
    """Set or remove the weekly opening hours with exceptions; they apply at once and then at
    each boundary (roles `admin` or `chat_admin`)."""
    hours = body.opening_hours.to_domain() if body.opening_hours else None
    channel = await set_opening_hours(
        wiring.chat_uow(), staff, channel_id, hours, now=wiring.clock()
    )
    return ChannelOut.of(channel)


@router.put("/chat-channels/{channel_id}/presence", response_model=PresenceOut)
async def put_presence(
    channel_id: UUID, body: PresenceIn, staff: CallingStaff, wiring: ChatWiring
) -> PresenceOut:
    """The caller's own presence in a channel and how new chats there reach them."""
    presence = await set_presence(
        wiring.chat_uow(), staff, channel_id, present=body.present,
        notify_email=body.notify_email, notify_sound=body.notify_sound, email=body.email,
        language=body.language, now=wiring.clock(),
    )  # fmt: skip
    return PresenceOut.of(channel_id, presence)


@router.get("/chat-queue", response_model=QueueOut)
async def on_call_queue(
    staff: CallingStaff,
    wiring: ChatWiring,
    channel_id: Annotated[UUID | None, Query(description="Only this channel.")] = None,
) -> QueueOut:
    """The on-call queue: per channel its name and state, the caller's own presence and
    notification settings, and the waiting chats' header fields only (never content,
    whether or not the caller is present there)."""
    views = await queue_view(wiring.chat_uow(), staff, channel_id=channel_id)
    return QueueOut(channels=[QueueChannelOut.of(v) for v in views])


@router.get(
    "/organisations/{organisation_id}/chat-channels", response_model=list[ResidentChannelOut]
)
async def channels_for_residents(
    organisation_id: Annotated[str, ...], _resident: CallingResidentId, wiring: ChatWiring
) -> list[ResidentChannelOut]:
    """The organisation's channels residents see, with state and congestion notice."""
    return [
        ResidentChannelOut.of(c)
        for c in await resident_channels(wiring.chat_uow(), organisation_id)
    ]
