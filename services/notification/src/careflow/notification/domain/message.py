"""Rendered texts and what a channel sends: values shared by use cases and adapters."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID


@dataclass(frozen=True)
class Rendered:
    subject: str | None
    body: str


@dataclass(frozen=True)
class OutgoingMessage:
    """What a channel sends; `delivery_id` is the idempotency key where the channel has one."""

    delivery_id: UUID
    to: str
    subject: str | None
    body: str
