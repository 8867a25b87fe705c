"""Real-time fan-out across replicas: PostgreSQL NOTIFY in the writing transaction, LISTEN here.

Chosen over the broker because the message is already committed in PostgreSQL
and NOTIFY is delivered exactly when (and only if) that commit happens, to
every replica's listener, with no extra hop. The payload is ids only (and a
message's sequence number): a nudge can never carry content to anyone; the
process's chat feeds (`application/chat_delivery.py`) read what they lack and
apply the access rule. A listener that was disconnected misses nudges: every
feed is marked changed when it listens again, and the feeds' poll compares
the chats' heads (`SocketSettings.poll_seconds`): late, never lost.

Payloads on channel `careflow_messaging_chats`:
`m:<chat_id>:<sequence>` a message up to that sequence was committed;
`c:<chat_id>` a chat's state changed (taken, transferred, ended);
`n:<channel_id>:<chat_id>` a new chat waits in a channel;
`p:<professional_id>` a professional's presence changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Protocol
from uuid import UUID

from cachetools import TTLCache
from sqlalchemy.ext.asyncio import AsyncSession

from careflow.messaging.adapters.driver import driver
from careflow.shared.db.listening import listen_forever

log = logging.getLogger(__name__)

NOTIFY_CHANNEL = "careflow_messaging_chats"
_NOTIFY = "SELECT pg_notify($1, $2)"


class SqlSignals:
    """Nudges queued in the unit of work's transaction; PostgreSQL sends them at commit."""

    def __init__(self, session: AsyncSession) -> None:
        self._s = session

    async def _notify(self, payload: str) -> None:
        connection = await driver(self._s)
        await connection.execute(_NOTIFY, NOTIFY_CHANNEL, payload)

    async def chat_changed(self, chat_id: UUID) -> None:
        await self._notify(f"c:{chat_id}")

    async def message_posted(self, chat_id: UUID, sequence: int) -> None:
        await self._notify(f"m:{chat_id}:{sequence}")

    async def new_chat(self, channel_id: UUID, chat_id: UUID) -> None:
        await self._notify(f"n:{channel_id}:{chat_id}")

    async def presence_changed(self, professional_id: str) -> None:
        await self._notify(f"p:{professional_id}")


class Waker:
    """Level-triggered wake-up for one socket: `clear()`, read, then `wait` returns at once if
    a nudge came during the read, so none falls between."""

    def __init__(self) -> None:
        self._event = asyncio.Event()
        self.new_chats: list[tuple[UUID, UUID]] = []

    def wake(self) -> None:
        self._event.set()

    def clear(self) -> None:
        self._event.clear()

    async def wait(self, at_most: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._event.wait(), at_most)


class SendBudget:
    """Token bucket of one sender: a burst of `burst`, then `per_second`."""

    def __init__(self, per_second: float, burst: int) -> None:
        self._rate, self._burst = per_second, float(burst)
        self._tokens, self._at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self._burst, self._tokens + (now - self._at) * self._rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True


class NudgeTarget(Protocol):
    """What the hub hands chat and presence nudges to (the process's chat deliveries)."""

    def chat_committed(self, chat_id: UUID, sequence: int | None) -> None: ...
    def presence_changed(self, professional_id: str) -> None: ...
    def all_changed(self) -> None: ...


class Hub:
    """This process's end of the nudges: chat and presence nudges to the chat deliveries,
    new-chat alerts to the queue sockets; and the senders' budgets."""

    def __init__(self, target: NudgeTarget) -> None:
        # Per sender, whichever of their sockets they post on; an idle sender's bucket is
        # full again after `burst / per_second`, so forgetting it after 10 minutes is safe.
        self._budgets: TTLCache[str, SendBudget] = TTLCache(maxsize=100_000, ttl=600)
        self._target = target
        self._new_chat_watchers: set[Waker] = set()

    def may_send(self, sender: str, per_second: float, burst: int) -> bool:
        """Takes one message from the sender's budget; False when it is spent."""
        budget = self._budgets.get(sender)
        if budget is None:
            budget = self._budgets[sender] = SendBudget(per_second, burst)
        return budget.take()

    def watch_new_chats(self, waker: Waker) -> None:
        self._new_chat_watchers.add(waker)

    def forget(self, waker: Waker) -> None:
        self._new_chat_watchers.discard(waker)

    def deliver(self, payload: str) -> None:
        kind, _, rest = payload.partition(":")
        try:
            if kind == "m":
                chat, _, sequence = rest.partition(":")
                self._target.chat_committed(UUID(chat), int(sequence))
            elif kind == "c":
                self._target.chat_committed(UUID(rest), None)
            elif kind == "p":
                self._target.presence_changed(rest)
            elif kind == "n":
                channel, _, chat = rest.partition(":")
                for waker in tuple(self._new_chat_watchers):
                    waker.new_chats.append((UUID(channel), UUID(chat)))
                    waker.wake()
        except ValueError:
            log.warning("ignored a malformed chat nudge")

    def wake_all(self) -> None:
        """After the listener (re)connects: nudges may have been missed meanwhile."""
        self._target.all_changed()
        for waker in self._new_chat_watchers:
            waker.wake()


async def listen(dsn: str, hub: Hub, *, retry_seconds: float = 1.0) -> None:
    """Keeps a LISTEN connection open until cancelled, feeding every NOTIFY to `hub`."""
    await listen_forever(
        dsn,
        NOTIFY_CHANNEL,
        hub.deliver,
        on_listening=hub.wake_all,
        retry_seconds=retry_seconds,
        name="chat listener",
    )
