"""Stopping background tasks that may not stop on the first request."""

from __future__ import annotations

import asyncio
import logging

log = logging.getLogger(__name__)


async def cancel_and_wait(task: asyncio.Task[None], *, recheck_seconds: float = 1.0) -> None:
    """Cancels `task` until it has ended.

    Library code can swallow a cancellation (Python 3.11's `asyncio.wait_for`
    does when its inner future completes in the same loop step); awaiting the
    task once would then wait forever and a shutdown would hang.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=recheck_seconds)
    if not task.cancelled() and task.exception() is not None:
        log.warning("%s ended with %r while stopping", task.get_name(), task.exception())
