"""Settings of the chat half (MESSAGING_CHAT__...)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChatSettings(BaseModel):
    #: A taken chat with no message for this long ends (`idle_timeout`).
    idle_seconds: float = Field(default=900.0, gt=0)
    #: How often the opening-hours timer and the idle sweeper look for due work.
    timer_seconds: float = Field(default=1.0, gt=0)
    #: A socket re-reads its chat at least this often, should a nudge be lost.
    poll_seconds: float = Field(default=5.0, gt=0)
    #: Time a new socket has to send its auth frame.
    auth_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Messages per sender (all their sockets on a replica): a burst of `burst`, then `per_second`.
    per_second: float = Field(default=5.0, gt=0)
    burst: int = Field(default=20, ge=1)
    #: Loops on/off (tests drive the timer by hand).
    loops_enabled: bool = True
