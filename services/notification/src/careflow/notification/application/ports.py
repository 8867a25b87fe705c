"""What the use cases need from the outside: rendering, sending, the unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from uuid import UUID

from careflow.notification.domain.message import OutgoingMessage, Rendered

__all__ = ["ChannelSender", "Clock", "Links", "OutgoingMessage", "Rendered", "Renderer"]


class Renderer(Protocol):
    def render(
        self,
        purpose: str,
        language: str,
        channel: str,
        *,
        link: str,
        deadline: str | None = None,
    ) -> Rendered: ...


class ChannelSender(Protocol):
    """Raises TransientSendError / PermanentSendError; returns the provider's reference."""

    async def send(self, message: OutgoingMessage) -> str | None: ...


class Clock(Protocol):
    def __call__(self) -> datetime: ...


@dataclass(frozen=True)
class Links:
    """Links in notifications: to the login page of the resident's services, never content."""

    base_url: str
    professional_base_url: str

    def for_target(self, target: str, case_id: UUID | None) -> str:
        base = self.base_url.rstrip("/")
        if target == "case" and case_id is not None:
            return f"{base}/cases/{case_id}"
        if target in ("messages", "reminders"):
            return f"{base}/{target}"
        return base + "/"

    def for_chat(self, chat_id: UUID) -> str:
        return f"{self.professional_base_url.rstrip('/')}/chats/{chat_id}"
