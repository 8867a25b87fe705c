"""A professional's own settings in one channel: present or not, how new chats reach them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from careflow.messaging.domain import chat_events as ev
from careflow.messaging.domain.chat_errors import InvalidChatRequest

LANGUAGES = frozenset({"fi", "sv", "en"})


@dataclass
class Presence:
    """Whether `professional_id` is present in `channel_id`, and their new-chat notifications.

    Email needs an address: there is no professional directory, so the
    professional gives their work address with the setting (it is sent only in
    notification's restricted request, never in messaging's own events).
    """

    channel_id: UUID
    organisation_id: str
    professional_id: str
    present: bool = False
    notify_email: bool = False
    notify_sound: bool = False
    email: str | None = None
    language: str = "fi"
    updated_at: datetime | None = None
    events: list[ev.ChatDomainEvent] = field(default_factory=list, compare=False, repr=False)

    def change(
        self,
        *,
        present: bool,
        notify_email: bool,
        notify_sound: bool,
        email: str | None,
        language: str,
        now: datetime,
    ) -> None:
        """Replace the settings; an event only when presence or a notification choice moved."""
        if notify_email and not (email or self.email):
            raise InvalidChatRequest("Email notifications need a work email address.")
        if language not in LANGUAGES:
            raise InvalidChatRequest("Language is fi, sv or en.")
        moved = (present, notify_email, notify_sound) != (
            self.present,
            self.notify_email,
            self.notify_sound,
        )
        self.present, self.notify_email, self.notify_sound = present, notify_email, notify_sound
        self.email = email or self.email
        self.language = language
        self.updated_at = now
        if moved:
            self.events.append(
                ev.PresenceChanged(
                    at=now,
                    channel_id=self.channel_id,
                    organisation_id=self.organisation_id,
                    professional_id=self.professional_id,
                    present=present,
                    notify_email=notify_email,
                    notify_sound=notify_sound,
                )
            )

    @property
    def wants_email(self) -> bool:
        return self.present and self.notify_email and self.email is not None

    @property
    def wants_sound(self) -> bool:
        return self.present and self.notify_sound
