"""LISTEN on a PostgreSQL channel for as long as a process runs.

Several loops wake on a NOTIFY sent on commit (the outbox relay, notification's
senders, messaging's chat hub); each keeps one connection open and opens a new one
when it drops. Any failure of that connection heals by reconnecting: asyncpg raises
more than OSError and PostgresError when a server restarts under it (an
InternalClientError once ended the relay's listener). Their polls cover the gap.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import asyncpg

log = logging.getLogger(__name__)


async def listen_forever(
    dsn: str,
    channel: str,
    on_notify: Callable[[str], None],
    *,
    on_listening: Callable[[], None] = lambda: None,
    retry_seconds: float = 1.0,
    name: str = "listener",
) -> None:
    """Until cancelled: `on_notify(payload)` for each NOTIFY, `on_listening()` each time
    listening (re)starts (what was committed while nobody listened is then looked for)."""
    while True:
        try:
            conn = await asyncpg.connect(dsn)
        except Exception as exc:
            log.warning("%s cannot connect: %s", name, type(exc).__name__)
            await asyncio.sleep(retry_seconds)
            continue
        closed = asyncio.Event()
        conn.add_termination_listener(lambda _conn, ev=closed: ev.set())
        try:
            await conn.add_listener(channel, lambda _c, _pid, _ch, payload: on_notify(payload))
            on_listening()
            await closed.wait()
        except Exception as exc:
            log.warning("%s lost its connection: %s", name, type(exc).__name__)
        finally:
            if not conn.is_closed():
                conn.terminate()  # no goodbye: the connection may be half broken
        await asyncio.sleep(retry_seconds)
