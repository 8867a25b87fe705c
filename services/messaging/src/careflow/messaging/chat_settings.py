"""Settings of the chat half (MESSAGING_CHAT__...)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ChatSettings(BaseModel):
    #: A taken chat with no message for this long ends (`idle_timeout`).
    idle_seconds: float = Field(default=900.0, gt=0)
    #: How often the opening-hours timer and the idle sweeper look for due work.
    timer_seconds: float = Field(default=1.0, gt=0)
    #: How often the process compares its sockets' chats with the database (a few statements
    #: for all of them), should a nudge be lost; a chat that moved is read then.
    poll_seconds: float = Field(default=5.0, gt=0)
    #: Live delivery's reads at once per process; more wait for a pooled connection rather
    #: than open overflow connections (keep it below the database pool's size).
    read_slots: int = Field(default=8, ge=1)
    #: Time a new socket has to send its auth frame.
    auth_timeout_seconds: float = Field(default=10.0, gt=0)
    #: Messages per sender (all their sockets on a replica): a burst of `burst`, then `per_second`.
    per_second: float = Field(default=5.0, gt=0)
    burst: int = Field(default=20, ge=1)
    #: Loops on/off (tests drive the timer by hand).
    loops_enabled: bool = True
