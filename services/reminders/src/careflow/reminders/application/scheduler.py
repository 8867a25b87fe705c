"""The durable scheduler: due sends become notification requests, exactly once.

A pass claims due sends with FOR UPDATE SKIP LOCKED, marks each `requested` and
writes its `NotificationRequested` to the outbox in the same transaction. So a
send is handed over once across replicas (a claimed row is skipped by the others)
and restarts (a committed pass is never repeated, an uncommitted one leaves the
rows scheduled). A use case that withdraws a send locks it first: it waits for a
pass that holds it and then sees it `requested` (and publishes a withdrawal), or
the pass skips it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from careflow.reminders.application.outgoing import request_for
from careflow.reminders.application.ports import SendMark, UnitOfWork
from careflow.reminders.domain.reminder import SendStatus, wanted_channels

log = logging.getLogger(__name__)


async def dispatch_due(uow: UnitOfWork, now: datetime, limit: int) -> int:
    """One pass: up to `limit` due sends handed to notification. Returns how many were due."""
    async with uow:
        # The claim reads each resident's opt-ins with the sends, and every send's new
        # state is written in one statement: a pass costs a few round trips whatever it
        # carries, not two per send.
        due = await uow.sends.claim_due(now, limit)
        marks = []
        for send in due:
            channels = wanted_channels(send.channels, send.email_opt_in, send.sms_opt_in)
            if not channels:
                # Both channels opted out: nothing to ask for; said so on the send.
                marks.append(SendMark(send.send_id, SendStatus.SKIPPED.value, (), "opted_out"))
                continue
            uow.outbox.add(request_for(send, channels, now), occurred_at=now)
            marks.append(SendMark(send.send_id, SendStatus.REQUESTED.value, channels))
        await uow.sends.mark_all(marks, now)
        await uow.commit()
    return len(due)


async def scheduler_loop(
    uow_factory: Callable[[], UnitOfWork],
    clock: Callable[[], datetime],
    *,
    batch_size: int,
    poll_seconds: float,
) -> None:
    """Passes back to back while sends are due, then one every `poll_seconds`."""
    while True:
        try:
            handled = await dispatch_due(uow_factory(), clock(), batch_size)
        except Exception:  # a lost connection must not end the scheduler
            log.exception("scheduler pass failed; retrying")
            handled = 0
            await asyncio.sleep(poll_seconds)
        if handled < batch_size:
            await asyncio.sleep(poll_seconds)
