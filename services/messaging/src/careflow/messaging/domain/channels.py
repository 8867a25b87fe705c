"""A chat channel of one organisation: who may see it, whether it is open, its notice and hours.

Open/closed is one stored flag that two hands move: a professional with a
channel-admin role at any time, and the opening-hours timer at each boundary of
the schedule (the durable timer reads `next_transition_at`). A manual change
stands until the schedule's next boundary; at that boundary the schedule's
state applies again. A channel without hours moves only by hand.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from careflow.messaging.domain import chat_events as ev
from careflow.messaging.domain.chat_errors import ChannelClosed, ChatNotAllowed, InvalidChatRequest
from careflow.messaging.domain.opening_hours import OpeningHours

#: Roles that count as the seed's "broad rights": they change channels' state and settings.
CHANNEL_ADMIN_ROLES = frozenset({"admin", "chat_admin"})
MAX_NAME = 100
MAX_NOTICE = 1000
DEFAULT_CONGESTION_NOTICE = "The chat is congested: waiting may take longer than usual."


class Visibility(StrEnum):
    RESIDENTS = "residents"  # residents see it in the portal and start chats there
    PROFESSIONALS = "professionals"  # only reached by a transfer (e.g. a doctor chat)


class ChannelState(StrEnum):
    OPEN = "open"
    OPEN_CONGESTED = "open_congested"
    CLOSED = "closed"


class StateCause(StrEnum):
    CREATED = "created"
    MANUAL = "manual"
    SCHEDULE = "schedule"


def may_manage_channels(roles: Collection[str]) -> bool:
    """Whether a professional holding `roles` may create channels and change their state."""
    return not CHANNEL_ADMIN_ROLES.isdisjoint(roles)


def require_channel_admin(roles: Collection[str]) -> None:
    if not may_manage_channels(roles):
        raise ChatNotAllowed("Changing a channel needs a channel-admin role.")


def _control(ch: str) -> bool:
    return ch < " " or "\x7f" <= ch <= "\x9f"


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > MAX_NAME or any(_control(ch) for ch in name):
        raise InvalidChatRequest(f"A channel name is 1-{MAX_NAME} printable characters.")
    return name


def _clean_notice(text: str | None) -> str | None:
    if text is None:
        return None
    text = text.strip()
    if len(text) > MAX_NOTICE or any(_control(ch) and ch not in "\t\n\r" for ch in text):
        raise InvalidChatRequest(f"A congestion notice is at most {MAX_NOTICE} characters.")
    return text or None


@dataclass
class Channel:
    """One named chat channel."""

    channel_id: UUID
    organisation_id: str
    name: str
    visibility: Visibility
    is_open: bool = False
    congestion_notice: bool = False
    congestion_text: str | None = None
    opening_hours: OpeningHours | None = None
    #: When the schedule next changes open/closed; the timer picks channels whose time came.
    next_transition_at: datetime | None = None
    updated_at: datetime | None = None
    events: list[ev.ChatDomainEvent] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def create(
        cls,
        *,
        channel_id: UUID,
        organisation_id: str,
        name: str,
        visibility: Visibility,
        by: str,
        now: datetime,
        opening_hours: OpeningHours | None = None,
    ) -> Channel:
        """A new channel: closed, unless its opening hours say it is open now."""
        channel = cls(channel_id, organisation_id, _clean_name(name), visibility, updated_at=now)
        channel.opening_hours = opening_hours
        channel._follow_schedule(now)
        channel._record(StateCause.CREATED, by, now)
        return channel

    @property
    def state(self) -> ChannelState:
        if not self.is_open:
            return ChannelState.CLOSED
        return ChannelState.OPEN_CONGESTED if self.congestion_notice else ChannelState.OPEN

    @property
    def notice(self) -> str | None:
        """The congestion notice a resident sees before starting a chat, when it is on."""
        if not self.congestion_notice:
            return None
        return self.congestion_text or DEFAULT_CONGESTION_NOTICE

    def rename(self, name: str, now: datetime) -> None:
        self.name = _clean_name(name)
        self.updated_at = now

    def change_visibility(self, visibility: Visibility, by: str, now: datetime) -> None:
        if visibility is not self.visibility:
            self.visibility = visibility
            self._record(StateCause.MANUAL, by, now)

    def set_open(self, is_open: bool, *, by: str, now: datetime) -> None:
        """A professional opens or closes the channel; stands until the next scheduled change."""
        if is_open != self.is_open:
            self.is_open = is_open
            self._record(StateCause.MANUAL, by, now)

    def set_congestion(self, on: bool, text: str | None, *, by: str, now: datetime) -> None:
        before = self.state
        self.congestion_notice = on
        self.congestion_text = _clean_notice(text) if text is not None else self.congestion_text
        self.updated_at = now
        if self.state is not before:
            self._record(StateCause.MANUAL, by, now)

    def set_opening_hours(self, hours: OpeningHours | None, *, by: str, now: datetime) -> None:
        """New hours take effect at once: the state becomes what they say for `now`."""
        self.opening_hours = hours
        before = self.state
        self._follow_schedule(now)
        self.updated_at = now
        if self.state is not before:
            self._record(StateCause.SCHEDULE, by, now)

    def apply_schedule(self, now: datetime) -> None:
        """The timer's tick: the schedule's state for `now` and its next change.

        A tick that comes late (the service was down) applies the state for
        `now`, not for the missed boundary, so a late timer never opens a
        channel whose hours have already ended. Before the boundary it does
        nothing, so a manual change stands until then.
        """
        if self.next_transition_at is None or now < self.next_transition_at:
            return
        before = self.state
        self._follow_schedule(now)
        if self.state is not before:
            self._record(StateCause.SCHEDULE, None, now)

    def accept_resident_chat(self) -> None:
        """Refuses unless residents may start a chat here now."""
        if self.visibility is not Visibility.RESIDENTS or not self.is_open:
            raise ChannelClosed("This channel does not take new chats now.")

    def accept_transfer(self) -> None:
        """Refuses a transfer into a closed channel (of either visibility)."""
        if not self.is_open:
            raise ChannelClosed("The target channel is closed.")

    def _follow_schedule(self, now: datetime) -> None:
        if self.opening_hours is None:
            self.next_transition_at = None
            return
        self.is_open = self.opening_hours.is_open_at(now)
        self.next_transition_at = self.opening_hours.next_change_after(now)

    def _record(self, cause: StateCause, by: str | None, now: datetime) -> None:
        self.updated_at = now
        self.events.append(
            ev.ChannelStateChanged(
                at=now,
                channel_id=self.channel_id,
                organisation_id=self.organisation_id,
                state=self.state.value,
                visibility=self.visibility.value,
                cause=cause.value,
                changed_by=by,
            )
        )
