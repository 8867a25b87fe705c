"""What stops a service's event loop: its lag and the garbage collector's pauses.

Every request, consumer and relay of a process shares one event loop; while it is
blocked (a long synchronous step, a full garbage collection) nothing of the process
moves, and the tail latency of everything rises at once. Such a stall is invisible in
the per-request figures, which only show that everything was slow together. Here the
loop's lag (how late a short sleep wakes up) and each collection's pause are recorded
as histograms, and a stall or pause above `report_seconds` is logged with its size,
so a latency spike can be matched to (or cleared of) a cause inside the process.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections import deque
from typing import Any

from careflow.shared.telemetry.metrics import RUNTIME_METRICS

log = logging.getLogger(__name__)


class StallWatch:
    """Samples the loop's lag every `interval` seconds and times every GC collection."""

    def __init__(self, *, interval: float = 0.05, report_seconds: float = 0.05) -> None:
        self.interval = interval
        self.report_seconds = report_seconds
        #: The largest lag and GC pause seen since start (seconds), for tests and probes.
        self.max_lag = 0.0
        self.max_gc_pause = 0.0
        self._gc_started = 0.0
        # Filled inside the collector's callback, where logging (I/O, locks) does not
        # belong; the sampler logs them from the loop.
        self._pauses: deque[tuple[int, float, int]] = deque(maxlen=256)
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        gc.callbacks.append(self._on_gc)
        self._task = asyncio.get_running_loop().create_task(self._sample(), name="stall-watch")

    async def stop(self) -> None:
        if self._on_gc in gc.callbacks:
            gc.callbacks.remove(self._on_gc)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _sample(self) -> None:
        while True:
            due = time.perf_counter() + self.interval
            await asyncio.sleep(self.interval)
            lag = max(0.0, time.perf_counter() - due)
            self.max_lag = max(self.max_lag, lag)
            RUNTIME_METRICS.loop_lag.record(lag)
            if lag >= self.report_seconds:
                log.warning("event loop stalled", extra={"lag_ms": round(lag * 1000, 1)})
            self._report_pauses()

    def _report_pauses(self) -> None:
        while self._pauses:
            generation, pause, collected = self._pauses.popleft()
            RUNTIME_METRICS.gc_pause.record(pause, {"generation": str(generation)})
            if pause >= self.report_seconds:
                log.warning(
                    "garbage collection paused the process",
                    extra={
                        "generation": generation,
                        "pause_ms": round(pause * 1000, 1),
                        "collected": collected,
                    },
                )

    def _on_gc(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._gc_started = time.perf_counter()
            return
        pause = time.perf_counter() - self._gc_started
        self.max_gc_pause = max(self.max_gc_pause, pause)
        self._pauses.append((int(info.get("generation", -1)), pause, int(info.get("collected", 0))))
