"""Channel use cases: create and change channels (channel admins), presence (any professional),
and the opening-hours timer's tick. Each runs in one transaction with its events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID, uuid4

from careflow.messaging.application.chat_outgoing import publish
from careflow.messaging.application.chat_ports import ChatUnitOfWork
from careflow.messaging.domain.channels import Channel, Visibility, require_channel_admin
from careflow.messaging.domain.chat_errors import ChannelNotFound
from careflow.messaging.domain.chat_presence import Presence
from careflow.messaging.domain.opening_hours import OpeningHours


@dataclass(frozen=True)
class Staff:
    """The calling professional, as the chat rules need them."""

    professional_id: str
    organisation_id: str
    roles: frozenset[str]
    unit_id: str | None = None


@dataclass(frozen=True)
class ChannelChange:
    """What a channel admin changes; None leaves a field as it is."""

    name: str | None = None
    visibility: Visibility | None = None
    is_open: bool | None = None
    congestion_notice: bool | None = None
    congestion_text: str | None = None


async def own_channel(
    uow: ChatUnitOfWork, staff: Staff, channel_id: UUID, *, lock: bool = False
) -> Channel:
    channel = await uow.channels.get(channel_id, for_update=lock)
    if channel is None or channel.organisation_id != staff.organisation_id:
        raise ChannelNotFound("No such channel.")
    return channel


async def create_channel(
    uow: ChatUnitOfWork,
    staff: Staff,
    *,
    name: str,
    visibility: Visibility,
    opening_hours: OpeningHours | None,
    now: datetime,
) -> Channel:
    """A channel admin creates a channel of their organisation."""
    require_channel_admin(staff.roles)
    async with uow:
        channel = Channel.create(
            channel_id=uuid4(), organisation_id=staff.organisation_id, name=name,
            visibility=visibility, by=staff.professional_id, now=now, opening_hours=opening_hours,
        )  # fmt: skip
        await uow.channels.add(channel)
        publish(uow.outbox, channel)
        await uow.commit()
        return channel


async def change_channel(
    uow: ChatUnitOfWork, staff: Staff, channel_id: UUID, change: ChannelChange, *, now: datetime
) -> Channel:
    """A channel admin renames, opens or closes a channel or switches its congestion notice."""
    require_channel_admin(staff.roles)
    async with uow:
        channel = await own_channel(uow, staff, channel_id, lock=True)
        by = staff.professional_id
        if change.name is not None:
            channel.rename(change.name, now)
        if change.visibility is not None:
            channel.change_visibility(change.visibility, by, now)
        if change.is_open is not None:
            channel.set_open(change.is_open, by=by, now=now)
        if change.congestion_notice is not None or change.congestion_text is not None:
            on = (
                channel.congestion_notice
                if change.congestion_notice is None
                else change.congestion_notice
            )
            channel.set_congestion(on, change.congestion_text, by=by, now=now)
        await uow.channels.save(channel)
        publish(uow.outbox, channel)
        await uow.commit()
        return channel


async def set_opening_hours(
    uow: ChatUnitOfWork,
    staff: Staff,
    channel_id: UUID,
    hours: OpeningHours | None,
    *,
    now: datetime,
) -> Channel:
    """A channel admin sets (or removes) the weekly hours; they apply from now."""
    require_channel_admin(staff.roles)
    async with uow:
        channel = await own_channel(uow, staff, channel_id, lock=True)
        channel.set_opening_hours(hours, by=staff.professional_id, now=now)
        await uow.channels.save(channel)
        publish(uow.outbox, channel)
        await uow.commit()
        return channel


async def apply_due_schedules(uow: ChatUnitOfWork, *, now: datetime, limit: int = 100) -> int:
    """The durable timer's pass: every channel whose next change has come follows its hours.

    The rows are locked with SKIP LOCKED, so replicas running the same loop share
    the work and each boundary is applied once; a pass after downtime applies
    the state for `now`. Returns how many channels it handled.
    """
    async with uow:
        due = await uow.channels.due(now, limit)
        for channel in due:
            channel.apply_schedule(now)
            await uow.channels.save(channel)
            publish(uow.outbox, channel)
        await uow.commit()
        return len(due)


async def set_presence(
    uow: ChatUnitOfWork,
    staff: Staff,
    channel_id: UUID,
    *,
    present: bool,
    notify_email: bool,
    notify_sound: bool,
    email: str | None,
    language: str,
    now: datetime,
) -> Presence:
    """A professional sets their own presence and new-chat notifications in one channel."""
    async with uow:
        await own_channel(uow, staff, channel_id)
        presence = await uow.presences.get(channel_id, staff.professional_id) or Presence(
            channel_id, staff.organisation_id, staff.professional_id
        )
        presence.change(
            present=present, notify_email=notify_email, notify_sound=notify_sound,
            email=email, language=language, now=now,
        )  # fmt: skip
        await uow.presences.save(presence)
        publish(uow.outbox, presence)
        # Open sockets of this professional check again what they may still receive.
        await uow.signals.presence_changed(staff.professional_id)
        await uow.commit()
        return presence
