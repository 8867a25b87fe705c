"""Handovers that must not overlap, run one after another by one task of their own.

For a provider that does not drop repeats (SMTP), a message's handover and the commit
of its outcome run one at a time per process (application.send): that bounds what a
crash can send twice to one message, and it bounds the channel's throughput to one
handover plus one commit at a time. Tasks taking turns at a lock paid one more pass of
the event loop per message on top (the next waiter runs only after everything else that
became ready meanwhile): about a fifth of each turn at 300 emails/s, with the loop busy
with the consumers and the other sends. Here the line's own task goes from one handover
straight to the next; the tasks that queued them wait for their results.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable

Step = Callable[[], Awaitable[None]]


class HandoverLine:
    """`await line.run(step, on_skip)`: `step` runs once every step queued before it has
    ended; its result or error is the caller's. A caller cancelled before its turn has its
    step skipped (`on_skip` releases what the step would have used); one cancelled during
    its turn leaves the step to finish, as a message handed over is best recorded."""

    def __init__(self) -> None:
        self._queue: deque[tuple[Step, Callable[[], None], asyncio.Future[None]]] = deque()
        self._runner: asyncio.Task[None] | None = None

    async def run(self, step: Step, on_skip: Callable[[], None]) -> None:
        loop = asyncio.get_running_loop()
        turn: asyncio.Future[None] = loop.create_future()
        self._queue.append((step, on_skip, turn))
        if self._runner is None or self._runner.done():
            self._runner = loop.create_task(self._drain(), name="handover line")
        await turn

    async def finish(self, grace: float) -> None:
        """At shutdown, once no caller is left: waits up to `grace` seconds for the step under
        way (a message handed over, its outcome being recorded), then stops the line."""
        runner = self._runner
        if runner is None or runner.done():
            return
        await asyncio.wait({runner}, timeout=grace)
        if not runner.done():
            runner.cancel()
            await asyncio.wait({runner})

    async def _drain(self) -> None:
        while self._queue:
            step, on_skip, turn = self._queue.popleft()
            if turn.done():  # its caller was cancelled while it waited
                on_skip()
                continue
            try:
                await step()
            except Exception as exc:
                if not turn.done():
                    turn.set_exception(exc)
            except BaseException as exc:
                # The line stops (cancelled at shutdown, or the process is going down):
                # nothing queued behind this step starts.
                cancelled = isinstance(exc, asyncio.CancelledError)
                if not turn.done():
                    turn.cancel() if cancelled else turn.set_exception(exc)
                self._skip_all()
                if cancelled:
                    raise
                return
            else:
                if not turn.done():
                    turn.set_result(None)

    def _skip_all(self) -> None:
        while self._queue:
            _, on_skip, turn = self._queue.popleft()
            on_skip()
            turn.cancel()
