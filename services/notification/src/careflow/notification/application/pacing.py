"""How fast one channel may send: at most `concurrency` sends at a time, and never more
than the provider's limit within any one-second window.

The limit is kept with permits rather than a token bucket: there are `per_window`
permits, and a permit used by a send becomes free again one window after that send
*finished*. The provider receives a message somewhere between the send's start and
its end, so two messages sent under one permit arrive at least a window apart, and
any window at the provider holds at most `per_window` messages, whatever the network
does to individual requests. (A token bucket refilled at the rate lets through up to
twice the rate in a window after an idle spell.) The cost is a window of at most one
send's duration per permit, a fraction of a percent at the usual few milliseconds.

A permit rests 2 % longer than the window: the provider counts with its own clock,
and a clock a little slower than ours, or a fast response, would otherwise fit one
message too many into its window (seen in the bench: 31 in a second at a limit of 30
once responses got faster). The margin costs 2 % of the limit's throughput.

The limit is per process: with N replicas, give each 1/N of the provider's limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import math
import time
from collections.abc import AsyncIterator, Callable

from careflow.notification.application.handover_line import HandoverLine

# How much longer than the window a permit rests (see the module's docstring).
REST_MARGIN = 0.02


class Pacer:
    """`async with pacer.slot():` around each send; `per_second=0` means no rate limit."""

    def __init__(
        self,
        *,
        per_second: float,
        concurrency: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self._sends = asyncio.Semaphore(concurrency)
        #: Runs a message's handover and the commit of its outcome, for a provider that
        #: does not drop repeats (application.send): one such message in doubt at a time.
        self.handovers = HandoverLine()
        self._clock = clock
        self.limited = per_second > 0
        # Whole messages per second: 20/s = 20 permits per 1 s; 2.5/s is rounded down to
        # 2 per 1 s (3 could pass the limit in some second); below 1/s, 1 per 1/rate s.
        self.per_window = max(1, math.floor(per_second)) if self.limited else 0
        self.window = max(1.0, 1.0 / per_second) if self.limited else 0.0
        #: (free_at, n) of each idle permit; `_idle` counts them.
        self._free: list[tuple[float, int]] = [(0.0, n) for n in range(self.per_window)]
        self._idle = asyncio.Semaphore(self.per_window)

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._sends:
            if not self.limited:
                yield
                return
            permit = await self._take()
            try:
                yield
            finally:
                # Whatever happened (sent, refused, timed out), the provider may have
                # received it: the permit rests a full window from now.
                self._give_back(permit, self._clock() + self.window * (1 + REST_MARGIN))

    async def _take(self) -> int:
        await self._idle.acquire()
        free_at, permit = heapq.heappop(self._free)
        delay = free_at - self._clock()
        if delay > 0:
            try:
                await asyncio.sleep(delay)
            except BaseException:
                self._give_back(permit, free_at)  # never used: as it was
                raise
        return permit

    def _give_back(self, permit: int, free_at: float) -> None:
        heapq.heappush(self._free, (free_at, permit))
        self._idle.release()
