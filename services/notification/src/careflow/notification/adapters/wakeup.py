"""Wake the senders when deliveries are queued: LISTEN on the channel a trigger NOTIFYs.

The `deliveries` insert trigger (migration 0003) notifies on commit only, from
whichever replica queued the rows, so an idle sender starts at once instead of
at its next poll. A lost connection is re-opened; the senders' poll covers the gap.
"""

from __future__ import annotations

import asyncio

from careflow.shared.db.listening import listen_forever

NOTIFY_CHANNEL = "careflow_notification_deliveries"


class Wakeup:
    """`current()` before looking for work, then `await` it: no wake-up falls between."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def current(self) -> asyncio.Event:
        return self._event

    def wake(self) -> None:
        # A fresh event for the next wait: every waiter of the old one runs, none twice.
        event, self._event = self._event, asyncio.Event()
        event.set()


async def listen(dsn: str, wakeup: Wakeup, *, retry_seconds: float = 1.0) -> None:
    """Keeps a LISTEN connection open until cancelled, waking `wakeup` on each NOTIFY."""
    await listen_forever(
        dsn,
        NOTIFY_CHANNEL,
        lambda _payload: wakeup.wake(),
        on_listening=wakeup.wake,  # rows may have been queued while nobody listened
        retry_seconds=retry_seconds,
        name="delivery listener",
    )
