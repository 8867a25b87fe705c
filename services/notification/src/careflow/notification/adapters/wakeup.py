"""Wake the senders when deliveries are queued: LISTEN on the channel a trigger NOTIFYs.

The `deliveries` insert trigger (migration 0003) notifies on commit only, from
whichever replica queued the rows, so an idle sender starts at once instead of
at its next poll. A lost connection is re-opened; the senders' poll covers the gap.
"""

from __future__ import annotations

import asyncio
import logging

import asyncpg

log = logging.getLogger(__name__)

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
    while True:
        try:
            conn = await asyncpg.connect(dsn)
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("delivery listener cannot connect: %s", type(exc).__name__)
            await asyncio.sleep(retry_seconds)
            continue
        closed = asyncio.Event()
        conn.add_termination_listener(lambda _conn, ev=closed: ev.set())
        try:
            await conn.add_listener(NOTIFY_CHANNEL, lambda *_: wakeup.wake())
            wakeup.wake()  # rows may have been queued while nobody listened
            await closed.wait()
        except (OSError, asyncpg.PostgresError):
            pass
        finally:
            if not conn.is_closed():
                await conn.close()
        await asyncio.sleep(retry_seconds)
