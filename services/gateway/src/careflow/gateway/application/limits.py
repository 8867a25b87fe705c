"""`admit`: whether a request is within its caller's and its address's rate limits.

The counts live in one table every replica shares (`RateCounter`). A request does not
wait for it when its keys are well inside their limits: each replica keeps a local view
of every key it saw (the counts the table last answered, plus what it admitted since)
and admits against that view, and a flusher sends what it admitted to the table in ONE
statement for all keys, at most `flush_interval` after the first of them, reading back
every key's total over all replicas. A request waits for the table (joining the next
flush: still one statement for all waiting requests) only when one of its keys

- has no view here, or one older than `fresh_for` (another replica may have counted
  many since), or
- would be within `margin` of its limit: max(`margin_ratio` x limit, `margin_min`).

Near the limit decisions are therefore exact (every admission the other replicas have
flushed is counted, and the refusal with its Retry-After comes from the table's total),
and far from it nothing waits. The overshoot this allows, stated: a request admitted
on a local view was at most `limit - margin` by that view; what the view misses is what
the other replicas admitted for the key since it was read, i.e. within `fresh_for` plus
one flush interval and one store round trip. So a key's count goes over its limit only
when the other replicas admitted more than `margin` requests for it within that span,
and then by at most the excess (defaults, 600 per subject per 60 s: more than 60
requests of one subject within about 1 s at the other replicas). A single replica never
overshoots (its own admissions are all in its view).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import math
from collections.abc import Callable
from dataclasses import dataclass, field

from careflow.gateway.application.ports import RateCounter
from careflow.gateway.domain.limits import Counts, estimate, retry_after, window_start

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Limits:
    window_seconds: int
    per_subject: int
    per_address: int
    store_timeout: float
    flush_interval: float = 0.005
    fresh_for: float = 1.0
    margin_ratio: float = 0.1
    margin_min: int = 10

    def margin(self, limit: int) -> int:
        return max(math.ceil(limit * self.margin_ratio), self.margin_min)


class _View:
    """A key's counts as the table last answered (`read_at`), and what this replica
    counted for it since (`local`, not yet in `counts`)."""

    __slots__ = ("counts", "local", "read_at")

    def __init__(self, counts: Counts, local: int, read_at: float) -> None:
        self.counts = counts
        self.local = local
        self.read_at = read_at


@dataclass
class _Waiter:
    """A request decided on the table's answer: its keys, and for each the position of
    its own request among this replica's counts of the key in the same flush."""

    wanted: dict[bytes, tuple[int, int]]  # key -> (limit, position)
    decided: asyncio.Future[int | None]


@dataclass
class RateLimiter:
    counter: RateCounter
    limits: Limits
    secret: bytes
    clock: Callable[[], float]
    _views: dict[bytes, _View] = field(default_factory=dict)
    _pending: dict[bytes, int] = field(default_factory=dict)
    _waiters: list[_Waiter] = field(default_factory=list)
    _due: asyncio.Event = field(default_factory=asyncio.Event)
    _urgent: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _pruned_at: float = 0.0
    flushes: int = 0  # statements sent, since start (tests, diagnostics)

    def _key(self, kind: bytes, value: str) -> bytes:
        # Keyed, so the table holds neither subjects nor addresses, nor a hash of
        # them anyone could recompute by trying every address.
        return hashlib.blake2b(
            kind + b"\0" + value.encode(), key=self.secret, digest_size=16
        ).digest()

    async def admit(self, subject: str | None, address: str | None) -> int | None:
        """None: admitted; otherwise the seconds a client should wait (429)."""
        wanted: dict[bytes, int] = {}
        if subject is not None:
            wanted[self._key(b"s", subject)] = self.limits.per_subject
        if address is not None:
            wanted[self._key(b"a", address)] = self.limits.per_address
        if not wanted:
            return None
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="rate-limit-flusher")
        now = self.clock()
        local = all(self._within_view(key, limit, now) for key, limit in wanted.items())
        pending = self._pending
        positions: dict[bytes, tuple[int, int]] = {}
        for key, limit in wanted.items():
            # Refused requests count too, so a client that keeps hammering stays refused.
            n = pending.get(key, 0) + 1
            pending[key] = n
            positions[key] = (limit, n)
            view = self._views.get(key)
            if view is not None:
                view.local += 1
        self._due.set()
        if local:
            return None
        waiter = _Waiter(positions, asyncio.get_running_loop().create_future())
        self._waiters.append(waiter)
        self._urgent.set()
        return await waiter.decided

    def _within_view(self, key: bytes, limit: int, now: float) -> bool:
        view = self._views.get(key)
        if view is None or now - view.read_at > self.limits.fresh_for:
            return False
        length = self.limits.window_seconds
        counts = _rolled(view.counts, window_start(now, length), length)
        ahead = Counts(counts.started, counts.count + view.local + 1, counts.previous)
        return estimate(ahead, now, length) <= limit - self.limits.margin(limit)

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        # What was counted since the last flush goes to the table (and decides whoever
        # still waits); a store that does not answer admits them.
        await self.flush()
        for waiter in self._waiters:
            if not waiter.decided.done():
                waiter.decided.set_result(None)
        self._waiters.clear()

    async def _run(self) -> None:
        """Sends what this replica counted: at once when a request waits for it, else
        `flush_interval` after the first count, so many requests share one statement."""
        while True:
            await self._due.wait()
            if not self._urgent.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(self.limits.flush_interval):
                        await self._urgent.wait()
            self._due.clear()
            self._urgent.clear()
            try:
                await self.flush()
            except Exception:  # never let the flusher die: limits would stop counting
                log.exception("rate limit flush failed")

    async def flush(self) -> None:
        sent, self._pending = self._pending, {}
        waiters, self._waiters = self._waiters, []
        if not sent:
            return
        length = self.limits.window_seconds
        read_at = self.clock()
        started = window_start(read_at, length)
        try:
            async with asyncio.timeout(self.limits.store_timeout):
                totals = await self.counter.count(dict(sorted(sent.items())), started, length)
            self.flushes += 1
        except Exception as exc:
            # Fail open: the limits protect the services, an outage of their store
            # must not take the API down with it. The counts go with the next flush.
            log.warning("rate limit store unavailable, request admitted: %s", type(exc).__name__)
            for key, n in sent.items():
                self._pending[key] = self._pending.get(key, 0) + n
            for waiter in waiters:
                if not waiter.decided.done():
                    waiter.decided.set_result(None)
            return
        for key, counts in totals.items():
            # What was counted here while the statement ran is the view's local part.
            self._views[key] = _View(counts, self._pending.get(key, 0), read_at)
        now = self.clock()
        for waiter in waiters:
            waits = []
            for key, (limit, position) in waiter.wanted.items():
                total = totals[key]
                # The request's own count: the total before this flush's counts of the
                # key, plus its position among them.
                own = Counts(total.started, total.count - sent[key] + position, total.previous)
                wait = retry_after(own, limit, now, length)
                if wait is not None:
                    waits.append(wait)
            if not waiter.decided.done():
                waiter.decided.set_result(max(waits) if waits else None)
        if now - self._pruned_at > self.limits.fresh_for:
            # Views too old to be used are only memory.
            self._pruned_at = now
            stale = now - self.limits.fresh_for
            self._views = {k: v for k, v in self._views.items() if v.read_at >= stale}


def _rolled(counts: Counts, started: int, length: int) -> Counts:
    """The counts as they are in the window starting at `started` (the table moves a
    row the same way when it is next counted)."""
    if counts.started >= started:
        return counts
    previous = counts.count if counts.started == started - length else 0
    return Counts(started, 0, previous)
